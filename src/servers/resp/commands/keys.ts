// (being written) The keys command family.

import type { CommandSpec } from "../command.js";

export const commands: CommandSpec[] = [];
