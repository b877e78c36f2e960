/**
 * Preload for a child process whose flags a harness fixes (`--cpu-prof` is refused in NODE_OPTIONS):
 * NODE_OPTIONS="--import ./bench/cpu-profile.mjs" CPU_PROFILE_DIR=dir profiles from SIGUSR2 and writes dir/<pid>.cpuprofile on exit.
 */
import { writeFileSync } from 'node:fs';
import process from 'node:process';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  // Started on SIGUSR2, once the driver's warm-up is over, so start-up is left out.
  process.on('SIGUSR2', () => session.post('Profiler.start'));
  // The main thread's session answers synchronously, so the profile can be written in an exit handler.
  process.on('exit', () =>
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    }),
  );
}
