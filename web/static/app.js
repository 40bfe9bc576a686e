// Starts NHS.UK frontend's components (header menu, skip link, tables). A separate file, so
// the Content-Security-Policy needs no 'unsafe-inline'.
import { initAll } from "/static/nhsuk/nhsuk-frontend.min.js";

initAll();
