/**
 * A context without colour (no terminal, NO_COLOR, --no-color, --json) does not load chalk; what
 * it uses instead must print exactly what chalk prints at level 0, for every way the renderers
 * call it. With a terminal, chalk is loaded and colours.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Chalk } from 'chalk';
import { CliContext, loadColour, type Io } from '../../../src/cli/context.js';

const sink = (isTTY: boolean) => Object.assign({ write: () => true }, { isTTY }) as unknown as Io['stdout'];
const io = (isTTY: boolean, env: NodeJS.ProcessEnv = {}): Io => ({ stdout: sink(isTTY), stderr: sink(isTTY), env });

test('without a terminal the colour functions print what chalk prints at level 0', () => {
  const chalk = new Chalk({ level: 0 });
  for (const ctx of [new CliContext({}, io(false)), new CliContext({ json: true }, io(false)), new CliContext({ color: false }, io(false)), new CliContext({}, io(false, { NO_COLOR: '1' }))]) {
    for (const c of [ctx.color, ctx.errColor]) {
      assert.equal(c.level, 0);
      assert.equal(c.red('✗ failed'), chalk.red('✗ failed'));
      assert.equal(c.bold.red('a'), chalk.bold.red('a'));
      assert.equal(c.dim.underline.cyan('x', 'y', 3), chalk.dim.underline.cyan('x', 'y', 3));
      assert.equal(c.green(42), chalk.green(42));
      assert.equal(c.yellow(undefined), chalk.yellow(undefined));
      assert.equal(c.bold(), chalk.bold());
      assert.equal(c.gray(''), chalk.gray(''));
      assert.equal(c(`plain ${1}`), chalk(`plain ${1}`));
      assert.equal(c.bgRed.white.bold(['a', 'b']), chalk.bgRed.white.bold(['a', 'b']));
    }
  }
});

test('with a terminal, colour comes from chalk once it is loaded', async () => {
  await loadColour();
  const ctx = new CliContext({}, io(true));
  assert.equal(ctx.color.level, 2);
  assert.equal(ctx.color.red('x'), new Chalk({ level: 2 }).red('x'));
  assert.notEqual(ctx.color.red('x'), 'x');
  // a terminal, but colour turned off: no escape codes
  assert.equal(new CliContext({ color: false }, io(true)).color.red('x'), 'x');
  assert.equal(new CliContext({}, io(true, { NO_COLOR: '1' })).errColor.red('x'), 'x');
});
