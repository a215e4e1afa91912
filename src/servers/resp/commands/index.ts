// Every command family's specs, in one list the server registers at startup.

import type { CommandSpec } from "../command.js";
import { commands as admin } from "./admin.js";
import { commands as connection } from "./connection.js";
import { commands as hashes } from "./hashes.js";
import { commands as keys } from "./keys.js";
import { commands as lists } from "./lists.js";
import { commands as pubsub } from "./pubsub.js";
import { commands as sets } from "./sets.js";
import { commands as strings } from "./strings.js";
import { commands as transactions } from "./transactions.js";
import { commands as zsets } from "./zsets.js";

export const ALL_COMMANDS: CommandSpec[] = [
  ...connection,
  ...strings,
  ...keys,
  ...hashes,
  ...lists,
  ...sets,
  ...zsets,
  ...transactions,
  ...pubsub,
  ...admin,
];
