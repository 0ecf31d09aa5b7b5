/** Node flags for threads that load the TypeScript sources: tsx and the source export condition. */
export const sourceExecArgv = ["--conditions=shiftwork-source", "--import", "tsx"];
