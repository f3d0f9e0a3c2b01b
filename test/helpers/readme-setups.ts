/**
 * What a README example needs around it, named by the `<!-- readme-test: NAME -->` comment above
 * its block: servers started on loopback before it runs and stopped after.
 */
export interface ReadmeSetup {
  before(): Promise<{ globals: Record<string, unknown>; after: () => Promise<void> }>;
}

const nothing: ReadmeSetup = {
  async before() {
    return { globals: {}, after: async () => {} };
  },
};

export const readmeSetups: Record<string, ReadmeSetup> = {
  none: nothing,
};
