import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { P2VError } from '../../shared/errors.ts';
import { parseDriverquery } from '../../engine/inspection/driverquery.ts';
import { parsePnputil } from '../../engine/inspection/pnputil.ts';
import { parseWindowsFacts } from '../../engine/inspection/windows-facts.ts';
import { fixtureText } from '../helpers/fixture-host.ts';

const parseFailure = (error: unknown): boolean =>
  error instanceof P2VError && error.code === 'PARSE_FAILED';

describe('Windows parsers on captured outputs', () => {
  it('driverquery /v /fo csv: quoted fields with commas, CRLF, a byte-order mark', () => {
    for (const version of ['2016', '2019', '2022']) {
      const drivers = parseDriverquery(
        fixtureText(`windows-${version}`, 'tools/driverquery.exe.out'),
      );
      assert.ok(drivers.length >= 7, version);
      assert.ok(drivers.every((d) => d.path?.endsWith('.sys')));
    }
    const drivers = parseDriverquery(fixtureText('windows-2019', 'tools/driverquery.exe.out'));
    assert.equal(drivers[0]?.name, 'storahci');
    const pvscsi = drivers.find((d) => d.name === 'pvscsi');
    assert.deepEqual([pvscsi?.startMode, pvscsi?.state], ['Boot', 'Stopped']);
  });

  it('driverquery: empty, other columns, broken quoting', () => {
    assert.throws(() => parseDriverquery(''), parseFailure);
    assert.throws(() => parseDriverquery('"Name","Other"\r\n"a","b"\r\n'), parseFailure);
    assert.throws(() => parseDriverquery('"Module Name","Display\n"a'), parseFailure);
  });

  it('pnputil /enum-drivers: packages with their versions and dates', () => {
    const packages = parsePnputil(fixtureText('windows-2022', 'tools/pnputil.exe.out'));
    assert.equal(packages.length, 3);
    assert.deepEqual(packages[0], {
      publishedName: 'oem2.inf',
      originalName: 'viostor.inf',
      provider: 'Red Hat, Inc.',
      className: 'Storage controllers',
      date: '03/21/2022',
      version: '100.91.104.21700',
      signer: 'Red Hat, Inc.',
    });
    assert.equal(parsePnputil(fixtureText('windows-2016', 'tools/pnputil.exe.out')).length, 2);
    assert.equal(
      parsePnputil(fixtureText('windows-2019', 'tools/pnputil.exe.out'))[2]?.version,
      '1.8.13.0',
    );
  });

  it('pnputil: the older -e format, no packages, garbage', () => {
    const legacy = parsePnputil(
      'Microsoft PnP Utility\r\n\r\nPublished name :            oem1.inf\r\nDriver package provider :   Red Hat, Inc.\r\nClass :                     Storage controllers\r\nDriver date and version :   08/12/2021 100.85.104.20800\r\nSigner name :               Red Hat, Inc.\r\n',
    );
    assert.deepEqual([legacy[0]?.originalName, legacy[0]?.version], [null, '100.85.104.20800']);
    assert.deepEqual(parsePnputil('Microsoft PnP Utility\r\n\r\n'), []);
    assert.throws(() => parsePnputil(''), parseFailure);
    assert.throws(() => parsePnputil('Original Name: x.inf\n'), parseFailure);
  });

  it('Windows facts JSON: lists of one printed as objects, enums as numbers', () => {
    const facts2016 = parseWindowsFacts(fixtureText('windows-2016', 'tools/powershell.exe.out'));
    assert.equal(facts2016.disks.length, 1);
    assert.equal(facts2016.firmware, 'Legacy');
    const facts2022 = parseWindowsFacts(fixtureText('windows-2022', 'tools/powershell.exe.out'));
    assert.equal(facts2022.bitlocker[0]?.ProtectionStatus, 1);
    assert.throws(() => parseWindowsFacts(''), parseFailure);
    assert.throws(() => parseWindowsFacts('{"caption":1}'), parseFailure);
  });
});
