import type { Recognizer } from '../recognizer.js';
import { creditCard } from './credit-card.js';
import { cnMobile, cnResidentId } from './china.js';
import { cryptoWallet } from './crypto.js';
import { email } from './email.js';
import { iban } from './iban.js';
import { ipAddress } from './ip-address.js';
import { phone } from './phone.js';
import { apiKey, awsKey, githubToken, gitlabToken, jwt, privateKey, slackToken } from './secrets.js';
import { ukNino } from './uk-nino.js';
import { urlCredentials } from './url-credentials.js';
import { usDriverLicense, usPassport, usSsn } from './us-ids.js';

/** The registry: adding an entity means a file here, a line below and its name in PiiEntity. */
export const RECOGNIZERS: readonly Recognizer[] = [
  email, phone, creditCard, iban, ipAddress,
  usSsn, usPassport, usDriverLicense, ukNino, cnResidentId, cnMobile,
  cryptoWallet, urlCredentials,
  awsKey, githubToken, gitlabToken, slackToken, privateKey, jwt, apiKey,
];
