/** A spinner on stderr, only when interactive; ora is imported only then. */
import type { CliContext } from '../cli/context.js';

export interface Progress {
  update(text: string): void;
  stop(): void;
  /** False when nothing is shown: callers need not build the texts. */
  readonly visible: boolean;
}

const silent: Progress = { update: () => undefined, stop: () => undefined, visible: false };

export async function startSpinner(ctx: CliContext, text: string): Promise<Progress> {
  // A pseudo-terminal without a size (columns 0, e.g. `script`, some CI runners) makes ora's line
  // arithmetic divide by zero and loop forever clearing lines: no spinner there.
  const columns = (ctx.io.stderr as NodeJS.WriteStream).columns ?? 0;
  if (!ctx.interactive || columns < 20) return silent;
  const { default: ora } = await import('ora');
  const spinner = ora({ text, stream: ctx.io.stderr as NodeJS.WriteStream, color: 'cyan' }).start();
  return {
    update: (t) => {
      spinner.text = t;
    },
    stop: () => spinner.stop(),
    visible: true,
  };
}
