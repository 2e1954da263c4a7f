// An unmodified registry consumer in a process of its own: dubbo2.js's `Dubbo`, which finds DemoService's providers
// in ZooKeeper (`/dubbo/<interface>/providers`) and calls them. `node dubbo-consumer.mjs <zookeeper> <interface>
// <version>` calls `whoami` every 100 ms and prints each result as a JSON line ({"res": ..., "err": ...}).
// dubbo2.js has no close(): the test ends the process.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Dubbo, setting } = require('dubbo2.js');

const [register, dubboInterface, version] = process.argv.slice(2);
const dubbo = new Dubbo({
  application: { name: 'registry-consumer' },
  register,
  dubboVersion: '2.0.2',
  dubboInvokeTimeout: 3,
  dubboSetting: setting.match(dubboInterface, { version }),
  service: { demo: (d) => d.proxyService({ dubboInterface, methods: { whoami: () => [] } }) },
});
const demo = dubbo.service.demo;
for (;;) {
  const { res, err } = await demo.whoami();
  process.stdout.write(`${JSON.stringify({ res, err: err ? String(err.message ?? err) : null })}\n`);
  await new Promise((r) => setTimeout(r, 100));
}
