// (being written) The hashes command family.

import type { CommandSpec } from "../command.js";

export const commands: CommandSpec[] = [];
