import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

describe('createLogger: the control the admin API uses', () => {
  it('sets the level for the logger and the children made before; off keeps the level for when it is on again', () => {
    // nothing is logged: stderr stays clean
    const { logger, control, setLevel, flush } = createLogger('stderr', 'INFO');
    const child = logger.child({ component: 'x' });
    const on = (level: string) => child.isLevelEnabled?.(level);
    expect(control.path).toBe('stderr');
    expect(control.level()).toBe('INFO');
    expect(on('debug')).toBe(false);

    control.setLevel('DEBUG');
    expect(control.level()).toBe('DEBUG');
    expect(on('debug')).toBe(true);

    control.setEnabled(false);
    expect(control.enabled()).toBe(false);
    expect(on('fatal')).toBe(false);
    setLevel('WARN'); // a reload's default_log_level while off: kept, still off
    expect(control.level()).toBe('WARN');
    expect(on('fatal')).toBe(false);

    control.setEnabled(true);
    expect(on('warn')).toBe(true);
    expect(on('info')).toBe(false);
    flush();
  });

  it('names the logger by its path as configured: stdout when empty', () => {
    expect(createLogger('', 'INFO').control.path).toBe('stdout');
    expect(createLogger('stdout', 'error').control.level()).toBe('ERROR');
  });
});
