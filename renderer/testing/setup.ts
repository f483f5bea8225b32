// Renderer tests read the English strings, as a first-time user with an English system would.
import { initI18n } from '../i18n';

initI18n('en');
