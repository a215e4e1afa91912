// (being written) The sets command family.

import type { CommandSpec } from "../command.js";

export const commands: CommandSpec[] = [];
