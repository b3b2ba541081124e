import { architectureProfile } from './architecture.js';
import { chartProfile } from './chart.js';
import { compareProfile } from './compare.js';
import { describeProfile } from './describe.js';
import { formProfile } from './form.js';
import { invoiceProfile } from './invoice.js';
import { receiptProfile } from './receipt.js';
import type { Profile } from './types.js';

export type ProfileRegistry = ReadonlyMap<string, Profile>;

export const builtInProfiles: ProfileRegistry = new Map<string, Profile>(
  [describeProfile, invoiceProfile, receiptProfile, formProfile, architectureProfile, chartProfile, compareProfile].map((profile) => [
    profile.name,
    profile as Profile,
  ]),
);
