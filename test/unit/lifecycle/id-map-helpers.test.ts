// Which id maps of an unprivileged caller go through newuidmap/newgidmap, and
// the refusals that name the config entry and the range (issue 18).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idMapHelpers, subordinateRanges, type MapCaller } from '../../../src/lifecycle/id-map-helpers.js';
import { compileCreate, type PlanOp } from '../../../src/plan/index.js';
import { TsrunError } from '../../../src/errors.js';
import { ctx, spec } from '../plan/spec-fixture.js';
import type { Spec } from '../../../src/spec/types.js';

const caller = (over: Partial<MapCaller> = {}): MapCaller => ({
  uid: 1000, gid: 1000, name: 'alice',
  subuid: 'bob:100000:65536\nalice:165536:65536\n', subgid: '1000:165536:65536\n',
  subidService: false, newuidmap: '/usr/bin/newuidmap', newgidmap: '/usr/bin/newgidmap', ...over,
});

function userns(uid: Array<[number, number, number]>, gid = uid): Spec {
  return spec((s) => {
    s.linux!.namespaces!.push({ type: 'user' });
    s.linux!.uidMappings = uid.map(([containerID, hostID, size]) => ({ containerID, hostID, size }));
    s.linux!.gidMappings = gid.map(([containerID, hostID, size]) => ({ containerID, hostID, size }));
  });
}

test('subordinate ranges: lines naming the caller or its uid; comments and other users left out', () => {
  const text = '# x\nbob:1:2\nalice:100:10\n1000:200:5\nalice:bad:1\n';
  assert.deepEqual(subordinateRanges(text, 'alice', 1000), [{ start: 100, count: 10 }, { start: 200, count: 5 }]);
  assert.deepEqual(subordinateRanges(text, undefined, 1000), [{ start: 200, count: 5 }]);
});

test('no helper for root, for a joined user namespace, or for maps of the caller\'s own ids only', () => {
  assert.equal(idMapHelpers(userns([[0, 100000, 65536]]), caller({ uid: 0, gid: 0 })), undefined);
  assert.equal(idMapHelpers(userns([[0, 1000, 1]]), caller()), undefined);
  const joined = spec((s) => void s.linux!.namespaces!.push({ type: 'user', path: '/proc/1/ns/user' }));
  assert.equal(idMapHelpers(joined, caller()), undefined);
});

test('several ranges within /etc/subuid and /etc/subgid (by name or by uid): both helpers, with the triples', () => {
  const h = idMapHelpers(userns([[0, 1000, 1], [1, 165536, 65536]]), caller());
  assert.deepEqual(h, {
    uid: { path: '/usr/bin/newuidmap', args: ['0', '1000', '1', '1', '165536', '65536'] },
    gid: { path: '/usr/bin/newgidmap', args: ['0', '1000', '1', '1', '165536', '65536'] },
  });
  // the gid map of the caller's own gid alone is written directly
  const onlyUid = idMapHelpers(userns([[0, 165536, 1000]], [[0, 1000, 1]]), caller());
  assert.deepEqual(Object.keys(onlyUid!), ['uid']);
});

test('a range outside the caller\'s subordinate ids: the error names the entry, the range and what the file gives', () => {
  assert.throws(() => idMapHelpers(userns([[0, 1000, 1], [1, 100000, 65536]]), caller()), (e: TsrunError) => {
    assert.equal(e.field, '/linux/uidMappings/1');
    assert.match(e.message, /linux\.uidMappings\[1\]: host uids 100000-165535 \(container uids 1-65536\) are not among the subordinate uids \/etc\/subuid gives alice \(uid 1000\): 165536-231071/);
    return true;
  });
  // one past the end of the range
  assert.throws(() => idMapHelpers(userns([[0, 165536, 65537]]), caller()), /host uids 165536-231072/);
  assert.throws(() => idMapHelpers(userns([[0, 1000, 1]], [[0, 1000, 1], [1, 300000, 10]]), caller({ subgid: '' })), (e: TsrunError) => {
    assert.equal(e.field, '/linux/gidMappings/1');
    assert.match(e.message, /subordinate gids \/etc\/subgid gives alice \(gid 1000\): none/);
    return true;
  });
  // another subid source (nsswitch): the helper decides
  assert.ok(idMapHelpers(userns([[0, 1000, 1], [1, 100000, 65536]]), caller({ subidService: true }))?.uid);
});

test('no newuidmap: the error says which package gives it', () => {
  assert.throws(() => idMapHelpers(userns([[0, 165536, 10]]), caller({ newuidmap: undefined })), (e: TsrunError) => {
    assert.equal(e.field, '/linux/uidMappings');
    assert.match(e.message, /needs newuidmap \(Debian's uidmap package\), not found on PATH/);
    return true;
  });
});

test('the plan: the helpers run from stage 0 after the clone; setgroups is left to newgidmap, and the process may set its groups', () => {
  const s = userns([[0, 1000, 1], [1, 165536, 65536]]);
  const idMaps = idMapHelpers(s, caller());
  const list: PlanOp[] = compileCreate(s, { ...ctx, rootless: true, idMapHelpers: idMaps }).plan.ops;
  assert.deepEqual(list.filter((o) => o.op === 'id_map'), [], 'nothing written directly');
  const helpers = list.filter((o): o is Extract<PlanOp, { op: 'id_map_helper' }> => o.op === 'id_map_helper');
  assert.deepEqual(helpers.map((h) => [h.args.path, h.field]), [['/usr/bin/newuidmap', '/linux/uidMappings'], ['/usr/bin/newgidmap', '/linux/gidMappings']]);
  assert.ok(list.findIndex((o) => o.op === 'clone') < list.indexOf(helpers[0]!));
  assert.equal(list.find((o) => o.op === 'user')!.args.set_groups, 1);

  // own gid written directly, with setgroups denied; the uid map by the helper
  const mixed = userns([[0, 165536, 1000]], [[0, 1000, 1]]);
  const ops2 = compileCreate(mixed, { ...ctx, rootless: true, idMapHelpers: idMapHelpers(mixed, caller()) }).plan.ops;
  const direct = ops2.find((o): o is Extract<PlanOp, { op: 'id_map' }> => o.op === 'id_map')!;
  assert.deepEqual(direct.args, { uid_map: '', gid_map: '0 1000 1\n', setgroups: 'deny' });
  assert.equal(ops2.filter((o) => o.op === 'id_map_helper').length, 1);
  assert.equal(ops2.find((o) => o.op === 'user')!.args.set_groups, 0);
});
