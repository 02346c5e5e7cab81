// Black-box conformance, part A (protocol §3-§7, §11): one test file per jest worker keeps the suite fast
// (each file loads the whole app once); each suite runs its own server context.
import { encodingsSuite } from './suites/encodings';
import { generalSuite } from './suites/general';
import { inboxSuite } from './suites/inbox';
import { messagesSuite } from './suites/messages';
import { roomsSuite } from './suites/rooms';

generalSuite();
roomsSuite();
messagesSuite();
inboxSuite();
encodingsSuite();
