/** Placeholder until the runtime modules land. */
export const placeholder = 1;
