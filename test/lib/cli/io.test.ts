import { startProgress, withProgress } from '../../../lib/cli/io';
import { MemoryOutput } from './fixtures/deployment';

afterEach(() => {
  jest.useRealTimers();
});

describe('progress indicator', () => {
  test('writes nothing at all when stderr is not a terminal', async () => {
    const stderr = new MemoryOutput(false);

    const value = await withProgress(stderr, 'Waiting', async (progress) => {
      progress.update('Still waiting');
      return 42;
    });

    expect(value).toBe(42);
    expect(stderr.text).toBe('');
  });

  test('spins on a terminal, shows the latest text, and erases its line when stopped', () => {
    jest.useFakeTimers();
    const stderr = new MemoryOutput(true);

    const progress = startProgress(stderr, 'Requesting a token');
    progress.update('Reading app client');
    jest.advanceTimersByTime(80);
    progress.stop();
    progress.stop();
    jest.advanceTimersByTime(800);

    expect(stderr.text).toBe('\r\x1b[2K⠋ Requesting a token\r\x1b[2K⠙ Reading app client\r\x1b[2K');
  });

  test('is stopped even when the task fails', async () => {
    const stderr = new MemoryOutput(true);

    await expect(withProgress(stderr, 'Waiting', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');

    expect(stderr.text.endsWith('\r\x1b[2K')).toBe(true);
  });
});
