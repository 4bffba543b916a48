import { dashboardSuite } from './suite.js';

// The embedded backend: coordination files under the repository's git directory.
dashboardSuite('embedded', () => ({}));
