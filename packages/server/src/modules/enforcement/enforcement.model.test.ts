import { describe, expect, it } from 'vitest';
import {
  actionRank,
  effectiveStatus,
  isInForce,
  kindOf,
  laterEnd,
  mergeEnforcement,
  needsApproval,
  userStatusOf,
} from './enforcement.model.js';

describe('ranks and kinds', () => {
  it('orders actions observe < soft_restrict < suspend_features < temp_suspend < auto_block < permanent_ban', () => {
    const order = [
      'observe',
      'soft_restrict',
      'suspend_features',
      'temp_suspend',
      'auto_block',
      'permanent_ban',
    ] as const;
    expect(order.map(actionRank)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('splits account-wide actions from feature restrictions', () => {
    expect(kindOf('soft_restrict')).toBe('features');
    expect(kindOf('suspend_features')).toBe('features');
    expect(kindOf('temp_suspend')).toBe('account');
    expect(kindOf('auto_block')).toBe('account');
    expect(kindOf('permanent_ban')).toBe('account');
  });

  it('asks for approval of a permanent ban for VIP and platinum only', () => {
    expect(needsApproval('permanent_ban', 'vip')).toBe(true);
    expect(needsApproval('permanent_ban', 'platinum')).toBe(true);
    expect(needsApproval('permanent_ban', 'gold')).toBe(false);
    expect(needsApproval('permanent_ban', null)).toBe(false);
    expect(needsApproval('auto_block', 'vip')).toBe(false);
  });
});

describe('mergeEnforcement', () => {
  it('creates when nothing is in force', () => {
    expect(mergeEnforcement(undefined, { action: 'temp_suspend', endsAt: 10, features: [] })).toEqual({
      kind: 'create',
    });
  });

  it('escalates to the stronger action and never shortens', () => {
    expect(
      mergeEnforcement(
        { action: 'temp_suspend', endsAt: 1000, features: [] },
        { action: 'auto_block', endsAt: 500, features: [] },
      ),
    ).toEqual({ kind: 'update', change: 'escalated', action: 'auto_block', endsAt: 1000, features: [] });
    // an open-ended one beats any end
    expect(
      mergeEnforcement(
        { action: 'temp_suspend', endsAt: 1000, features: [] },
        { action: 'auto_block', endsAt: null, features: [] },
      ),
    ).toMatchObject({ action: 'auto_block', endsAt: null });
  });

  it('lets a weaker request only extend the one in force', () => {
    // shorter and weaker: nothing changes
    expect(
      mergeEnforcement(
        { action: 'auto_block', endsAt: 5000, features: [] },
        { action: 'temp_suspend', endsAt: 1000, features: [] },
      ),
    ).toEqual({ kind: 'unchanged' });
    // weaker but longer: the stronger action lasts longer
    expect(
      mergeEnforcement(
        { action: 'auto_block', endsAt: 5000, features: [] },
        { action: 'temp_suspend', endsAt: 9000, features: [] },
      ),
    ).toEqual({ kind: 'update', change: 'extended', action: 'auto_block', endsAt: 9000, features: [] });
    // never weakens a permanent one
    expect(
      mergeEnforcement(
        { action: 'permanent_ban', endsAt: null, features: [] },
        { action: 'temp_suspend', endsAt: 9000, features: [] },
      ),
    ).toEqual({ kind: 'unchanged' });
  });

  it('adds features up and reports a same request as unchanged', () => {
    expect(
      mergeEnforcement(
        { action: 'soft_restrict', endsAt: null, features: ['withdrawals'] },
        { action: 'soft_restrict', endsAt: null, features: ['betting'] },
      ),
    ).toEqual({
      kind: 'update',
      change: 'extended',
      action: 'soft_restrict',
      endsAt: null,
      features: ['betting', 'withdrawals'],
    });
    expect(
      mergeEnforcement(
        { action: 'soft_restrict', endsAt: null, features: ['withdrawals', 'betting'] },
        { action: 'soft_restrict', endsAt: null, features: ['betting'] },
      ),
    ).toEqual({ kind: 'unchanged' });
  });
});

describe('time and status', () => {
  it('reads an active enforcement whose end passed as expired', () => {
    expect(effectiveStatus('active', 100, 99)).toBe('active');
    expect(effectiveStatus('active', 100, 100)).toBe('expired');
    expect(effectiveStatus('active', null, 1e15)).toBe('active');
    expect(effectiveStatus('lifted', 100, 200)).toBe('lifted');
    expect(isInForce({ status: 'active', startsAt: 0, endsAt: 100 }, 99)).toBe(true);
    expect(isInForce({ status: 'active', startsAt: 0, endsAt: 100 }, 100)).toBe(false);
    expect(isInForce({ status: 'pending_approval', startsAt: 0, endsAt: null }, 1)).toBe(false);
    expect(laterEnd(3, 7)).toBe(7);
    expect(laterEnd(null, 7)).toBeNull();
  });

  it('derives the user status from what is in force', () => {
    expect(userStatusOf([])).toBe('active');
    expect(userStatusOf([{ action: 'soft_restrict' }])).toBe('restricted');
    expect(userStatusOf([{ action: 'soft_restrict' }, { action: 'temp_suspend' }])).toBe('suspended');
    expect(userStatusOf([{ action: 'auto_block' }, { action: 'permanent_ban' }])).toBe('banned');
  });
});
