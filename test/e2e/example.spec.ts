import { exampleJourney } from './journeys';
import { test } from './fixtures';

test('opening the breast cancer example and running it shows metrics, the ROC curve and the report', async ({ fluxo }, testInfo) => {
  await exampleJourney(fluxo, testInfo);
});
