// The whole escape suite again with the executor's resolver for kernels
// without openat2 (TSRUN_EXEC_NO_OPENAT2=1: a component-by-component walk
// with O_NOFOLLOW). The tests run after this module is evaluated, so every
// tsrun they start inherits the variable.
import './escape.test.js';

process.env.TSRUN_EXEC_NO_OPENAT2 = '1';
