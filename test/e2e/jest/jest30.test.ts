import { describeJest } from './jest-suite.js';

describeJest(30);
