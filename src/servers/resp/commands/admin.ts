// (being written) The admin command family.

import type { CommandSpec } from "../command.js";

export const commands: CommandSpec[] = [];
