// `tsrun run --bundle DIR ID` (first version: validation only, exactly as create; the
// lifecycle owner replaces the body). The bundle is loaded and validated
// before anything touches --root, so a bad config leaves no trace there.
import { TsrunError } from '../errors.js';
import { commandMain } from './command.js';

export const main = commandMain(async (ctx) => {
  const { loadBundle } = await import('../spec/bundle.js');
  loadBundle(String(ctx.opts.bundle ?? '.'), { forCreate: true, systemdCgroup: ctx.globals.systemdCgroup });
  throw new TsrunError('run: not implemented');
});
