import { startTestDeployment } from './fixtures/deployment';
test('x', async () => {
  const d = await startTestDeployment();
  await d.cognito.close();
  const r = await d.run(['token']);
  console.log(JSON.stringify(r));
  const d2 = await startTestDeployment();
  await d2.tokenEndpoint.close();
  const r2 = await d2.run(['token']);
  console.log(JSON.stringify(r2));
  try { await fetch('http://127.0.0.1:1/'); } catch (e) { const c = (e as any).cause; console.log(c, c?.errors, Object.keys(c ?? {})); }
});
