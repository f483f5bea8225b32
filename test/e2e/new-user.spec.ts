import { newUserJourney } from './journeys';
import { test } from './fixtures';

test('a new user builds, configures, saves and runs a classifier pipeline', async ({ fluxo }, testInfo) => {
  await newUserJourney(fluxo, testInfo);
});
