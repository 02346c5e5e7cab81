// Black-box conformance, part B (protocol §4, §6.6-§6.8, §9, §12): see protocol-a.spec.ts.
import { edgesSuite } from './suites/edges';
import { filesSuite } from './suites/files';
import { lifecycleSuite } from './suites/lifecycle';
import { moderationSuite } from './suites/moderation';
import { onionSuite } from './suites/onion';

filesSuite();
moderationSuite();
lifecycleSuite();
edgesSuite();
onionSuite();
