import assert from 'node:assert/strict';
import { formatTime } from '../../shared/format.ts';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import type { MigrationReport } from '../../shared/report.ts';
import { renderReportHtml } from '../../engine/report/report-html.ts';
import { migrateTo, startTestAgent } from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const report: MigrationReport = {
  tool: { name: 'P2V Wizard', version: '0.1.0' },
  id: 'r1',
  startedAt: '2026-01-01T00:00:00Z',
  finishedAt: '2026-01-01T00:10:00Z',
  ok: true,
  error: null,
  source: {
    hostname: 'db<1>',
    platform: 'linux',
    sources: [{ dir: '/var/lib/app', target: '/var/lib/app' }],
    excludes: [],
  },
  target: {
    host: '127.0.0.1',
    port: 7000,
    fingerprint: 'AB:CD',
    hostname: 'vm',
    platform: 'linux',
  },
  copy: {
    files: 10,
    entries: 12,
    scannedBytes: 1e9,
    dirtyBytes: 1e9,
    wireBytes: 1.01e9,
    durationMs: 3000,
    failed: 0,
    resumed: false,
  },
  rounds: [
    {
      round: 1,
      startedAt: '',
      durationMs: 900,
      dirtyFiles: 3,
      scannedBytes: 5e8,
      dirtyBytes: 4e6,
      wireBytes: 5e6,
      deleted: 1,
      final: false,
    },
    {
      round: 2,
      startedAt: '',
      durationMs: 300,
      dirtyFiles: 2,
      scannedBytes: 5e8,
      dirtyBytes: 1e5,
      wireBytes: 2e5,
      deleted: 0,
      final: true,
    },
  ],
  convergence: { converged: true, reason: 'threshold', predictedDowntimeMs: 300, pendingFiles: 2 },
  cutover: {
    timeline: [{ step: 'stopped', at: '2026-01-01T00:09:00Z' }],
    stopCommand: 'systemctl stop app',
    downtimeMs: 4200,
  },
  verification: { mode: 'cached', files: 10, mismatches: [], ok: true, durationMs: 20 },
  warnings: [{ message: '<script>alert(1)</script>' }],
};

describe('the HTML report', () => {
  it('is self-contained, escapes what it shows, and charts every round', () => {
    const html = renderReportHtml(report);
    assert.match(html, /^<!doctype html>/);
    assert.ok(!/<script/i.test(html), 'no script and nothing unescaped');
    assert.ok(html.includes('&#60;script&#62;'));
    assert.ok(html.includes('db&#60;1&#62;'));
    assert.equal((html.match(/<rect /g) ?? []).length, 2, 'one bar per round');
    assert.ok(!/(src|href)="http/.test(html), 'loads nothing from outside');
    assert.ok(html.includes('4.2 s'), 'shows the downtime');
  });

  it('gives times in local time with the offset, to the millisecond', () => {
    const html = renderReportHtml(report);
    const shown = formatTime('2026-01-01T00:09:00Z');
    assert.match(shown, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.000 \(UTC[+-]\d\d:\d\d\)$/);
    assert.ok(html.includes(shown), 'the cutover timeline reads as a time');
    assert.ok(!html.includes('2026-01-01T00:09:00Z'), 'no raw ISO string');
    assert.equal(formatTime('not a time'), 'not a time');
  });

  it('names the paths that were not copied, the compression and the slowed rounds', () => {
    const html = renderReportHtml({
      ...report,
      notCopied: { count: 1, paths: [{ path: 'etc/shadow', reason: 'EACCES' }] },
      transfer: { compression: 'auto', dataBytes: 4e6, sentBytes: 1e6, bandwidthLimit: 5e6 },
      rounds: report.rounds.map((r, i) => (i === 0 ? { ...r, throttle: 30 } : r)),
    });
    assert.ok(html.includes('etc/shadow (permission denied)'));
    assert.ok(
      html.includes('sent as 976.6 KiB (25%; compression auto); bandwidth limit 40 Mbit/s'),
    );
    assert.ok(html.includes('−30%'), 'the slowed round is marked on the chart');
  });

  it('keeps its row names readable in Chinese beside a long value, as printed on A4', async (t) => {
    const browserPath = process.env.P2V_CHROMIUM ?? '/usr/bin/chromium';
    if (!existsSync(browserPath)) {
      t.skip('SKIPPED LOUDLY: no Chromium to lay the report out (apt-get install chromium)');
      return;
    }
    // A SHA-256 fingerprint has no place to break: it once squeezed the names to one character.
    const fingerprint = Array.from({ length: 32 }, (_, i) => (i * 7 + 16).toString(16)).join(':');
    const html = renderReportHtml(
      { ...report, target: { ...report.target, fingerprint } },
      'zh-CN',
    );
    const browser = await chromium.launch({
      executablePath: browserPath,
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    });
    try {
      // An A4 page's printable width at 96 dpi, as Chromium prints it.
      const page = await browser.newPage({ viewport: { width: 720, height: 1000 } });
      await page.emulateMedia({ media: 'print' });
      await page.setContent(html);
      const widths = await page.$$eval('.summary th', (cells) =>
        cells.map((cell) => [cell.textContent, cell.getBoundingClientRect().width] as const),
      );
      assert.ok(widths.length > 5);
      for (const [name, width] of widths)
        assert.ok(width >= 200, `the row name ${name} is ${Math.round(width)} px wide`);
    } finally {
      await browser.close();
    }
  });

  it('speaks the technician’s language: Simplified Chinese headings, steps and values', () => {
    const html = renderReportHtml(report, 'zh-CN');
    assert.match(html, /<html lang="zh-CN">/);
    assert.ok(html.includes('<h1 class="ok">迁移完成</h1>'));
    assert.ok(html.includes('<h2>增量同步轮次</h2>'));
    assert.ok(html.includes('程序已停止'), 'the timeline step is translated');
    assert.ok(html.includes('10 个文件'), 'values are phrased in Chinese');
    assert.ok(!html.includes('Delta rounds'));
  });

  it('gives a real cutover’s details in the report’s language', async () => {
    const base = await tempDir();
    await mkdir(join(base, 'source'));
    await writeFile(join(base, 'source', 'a.txt'), 'data\n');
    const agent = await startTestAgent(join(base, 'target'), join(base, 'agent-state'));
    try {
      const { report: done } = await migrateTo(agent, join(base, 'source'), join(base, 'state'));
      const confirmed = done.cutover.timeline.find((s) => s.step === 'confirmed');
      assert.equal(confirmed?.said?.key, 'timelineDetail.predicted');
      assert.match(confirmed?.detail ?? '', /^predicted downtime \d+ ms$/, 'English in the JSON');
      const html = renderReportHtml(done, 'zh-CN');
      assert.match(html, /预测停机时间 \d+ 毫秒/);
      assert.ok(!html.includes('predicted downtime'));
    } finally {
      await agent.close();
    }
  });
});

describe('the HTML report of a migration into a VM', () => {
  const withVm: MigrationReport = {
    ...report,
    vm: {
      boot: 'direct',
      image: {
        path: '/vm/db.qcow2',
        format: 'qcow2',
        virtualBytes: 8 * 2 ** 30,
        fileBytes: 2 ** 30,
        hash: '0123456789abcdef0123456789abcdef',
        durationMs: 9000,
      },
      command: ['qemu-system-x86_64', '-name', 'db 1'],
      domainXml: '<domain type="kvm"><name>db</name></domain>',
      serialLog: '/vm/serial.log',
      pid: 4242,
      agent: { host: '127.0.0.1', port: 7100, fingerprint: 'EF:01', hostname: 'db' },
      readyMs: 40_000,
      bootMs: 31_000,
      bootConfirmation: 'P2V agent listening on 0.0.0.0:7443',
      check: { files: 11709, differing: ['var/log/wtmp'], durationMs: 115_000 },
    },
  };

  it('names what the check before the rounds read and found changed in the VM', () => {
    const html = renderReportHtml(withVm);
    assert.ok(html.includes('<h2>The VM the rounds went to</h2>'));
    assert.ok(
      html.includes('11709 files read in the VM against what was sent, in 1 min 55 s'),
      'the check’s reach and cost',
    );
    assert.ok(html.includes('sent again in the rounds: var/log/wtmp'), 'what the VM changed');
    assert.ok(html.includes('&#60;domain type='), 'the domain is escaped');
    assert.ok(renderReportHtml(withVm, 'zh-CN').includes('在虚拟机中读取 11709 个文件'));
  });

  it('says when the VM held exactly what was sent', () => {
    const html = renderReportHtml({
      ...withVm,
      vm: { ...withVm.vm!, check: { files: 3, differing: [], durationMs: 10 } },
    });
    assert.ok(html.includes('sent again in the rounds: none'));
  });

  it('names the initramfs rebuilt on the conversion host and the files left to the VM', () => {
    const html = renderReportHtml({
      ...withVm,
      vm: {
        ...withVm.vm!,
        initramfs: {
          command: '/usr/sbin/update-initramfs -u -k 6.1.0-50-amd64',
          changed: ['boot/initrd.img-6.1.0-50-amd64', 'etc/initramfs-tools/modules'],
        },
      },
    });
    assert.ok(html.includes('Initramfs rebuilt on the conversion host'));
    assert.ok(
      html.includes('not sent again: boot/initrd.img-6.1.0-50-amd64, etc/initramfs-tools/modules'),
    );
  });
});
