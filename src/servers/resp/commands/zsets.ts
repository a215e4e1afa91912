// (being written) The zsets command family.

import type { CommandSpec } from "../command.js";

export const commands: CommandSpec[] = [];
