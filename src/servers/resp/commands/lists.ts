// (being written) The lists command family.

import type { CommandSpec } from "../command.js";

export const commands: CommandSpec[] = [];
