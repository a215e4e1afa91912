// (being written) The transactions command family.

import type { CommandSpec } from "../command.js";

export const commands: CommandSpec[] = [];
