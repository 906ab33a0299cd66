#!/usr/bin/env node
// The `tessera` bin is this committed file, not dist/bin.js: npm links bins before the root
// `prepare` script builds dist/, and it skips a bin whose file does not exist yet.
import '../dist/bin.js';
