// (being written) The pubsub command family.

import type { CommandSpec } from "../command.js";

export const commands: CommandSpec[] = [];
