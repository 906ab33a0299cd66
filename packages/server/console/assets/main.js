/** The admin console: Administration › Company › Authentication Admin (served at /admin). */
import { start } from './app.js';

start().catch((error) => {
  document.getElementById('main').textContent = `The console could not start: ${error.message}`;
});
