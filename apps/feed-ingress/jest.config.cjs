module.exports = {
  ...require('../../jest.preset.cjs'),
  // Kills nginx started by the app under test if the jest worker dies.
  setupFilesAfterEnv: ['<rootDir>/test/track-nginx.ts'],
};
