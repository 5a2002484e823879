// v1 net_cls: the class id that tc filters match.
import { intText, writeCg } from '../fsio.js';
import { isSet, type V1Controller } from './controller.js';

export const netCls: V1Controller = {
  name: 'net_cls',
  requested: (r) => (isSet(r.network?.classID) ? '/linux/resources/network/classID' : undefined),
  set(dir, r) {
    if (isSet(r.network?.classID)) writeCg(dir, 'net_cls.classid', intText(r.network.classID), '/linux/resources/network/classID');
  },
};
