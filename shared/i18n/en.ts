/** English strings: the wizard, the report and the error texts. Keys are stable ids. */
export const en = {
  app: {
    title: 'P2V Wizard',
    language: 'Language',
    back: 'Back',
    next: 'Next',
    retry: 'Try again',
    loading: 'Working…',
    stepOf: 'Step {{n}} of {{total}}',
    reconnecting:
      'The connection to the agent was lost. Reconnecting, attempt {{attempt}}; the migration goes on from where it stopped.',
  },
  steps: {
    machine: 'Machine',
    target: 'Target',
    compatibility: 'Compatibility',
    selection: 'What to move',
    summary: 'Summary',
    copy: 'Copy',
    vm: 'VM',
    sync: 'Sync',
    cutover: 'Cutover',
    done: 'Done',
  },
  lead: {
    machine:
      'Now: what this machine runs, read from it; nothing is changed. Next: the target’s agent.',
    target:
      'Now: connect to the agent on the target and confirm its certificate. Next: what the target can run.',
    compatibility:
      'Now: this machine checked against the VM’s profile; blockers stop here. Next: what to move.',
    selection:
      'Now: choose what moves and how the program stops; nothing runs yet. Next: a summary to check.',
    summary:
      'Now: check it all before anything runs. Next: Start copies while the program keeps running.',
    copy: 'Now: the full copy, while the program keeps running. Next: rounds of what changed meanwhile.',
    vm: 'Now: the target builds the VM from the copy and boots it. Next: the rounds go into the VM.',
    sync: 'Now: rounds of only what changed, each smaller, while the program runs. Next: the cutover, once the rest fits in the downtime target.',
    cutover:
      'Now: the program stops here, the last changes go, the copy is verified and the target starts it. Next: the report.',
    done: 'The migration has ended: what happened and the report are below.',
  },
  machine: {
    heading: 'This machine',
    os: 'Operating system',
    kernel: 'Kernel / build',
    boot: 'Boot mode',
    cpus: 'CPUs',
    memory: 'Memory',
    volumes: 'Volumes',
    volumeLine: '{{mountpoint}} ({{fsType}}): {{used}} used of {{size}}',
    network: 'Network',
    services: 'Running services',
    drivers: 'Loaded drivers',
    notes: 'Notes',
  },
  target: {
    heading: 'Connect to the agent on the target',
    intro: 'Start `p2v agent` on the target and copy what it printed.',
    host: 'Agent address',
    port: 'Port',
    token: 'Pairing token',
    fingerprint: 'Certificate fingerprint (SHA-256)',
    fingerprintConfirm: 'I compared this fingerprint with the one the agent printed',
    test: 'Test connection',
    connected: 'Connected to {{hostname}}: {{os}}, {{free}} free under {{root}}',
  },
  compatibility: {
    heading: 'Compatibility',
    profile: 'VM profile',
    condition: 'Update drivers when',
    conditionMissing: 'missing only',
    conditionAny: 'any version differs',
    conditionMajor: 'the major version differs',
    agentInVm: 'The agent runs inside the target VM',
    sharedNetwork: 'Source and VM share a network',
    run: 'Check',
    osRelation: 'OS comparison: {{relation}}',
    driver: 'Driver',
    status: 'Status',
    action: 'Action',
    advice: 'What to do',
    initramfs: 'Rebuild the initramfs: {{command}}',
    manual: 'By hand',
    preflight: 'Pre-flight checks',
    blocked: 'Blocked: fix these before the migration can start.',
    noBlockers: 'Nothing blocks this migration.',
  },
  selection: {
    heading: 'What to move',
    volumes:
      'Volumes on this machine (each is moved on its own: a folder list does not cross into another volume)',
    volumeUse: '{{fsType}}, {{used}} used of {{size}}',
    folders: 'Top folders of {{volume}} and their sizes',
    foldersBusy: 'Measuring each folder (this reads every entry of the volume)…',
    foldersHint: 'Uncheck a folder to leave it out: it is added to the exclusions below.',
    folderSkipped: {
      excluded: 'left out by the exclusions',
      mount: 'another volume is mounted here (listed on its own)',
    },
    folderUnreadable: '({{count}} entries could not be read)',
    volumesNeed:
      'The checked volumes ({{count}}) hold {{bytes}}; free on the target: {{free}}. Measure gives the exact size, without what is left out.',
    sources: 'Folders to move (one per line; DIR or DIR:TARGETPATH)',
    excludes: 'Leave out (globs, one per line)',
    defaultExcludes: 'Leave out /proc, /sys, /dev, /run, /tmp and swap files',
    measure: 'Measure',
    selected: 'Selected: {{bytes}}; free on the target: {{free}}',
    unreadable: 'Cannot be read, so not copied ({{count}} in all):',
    why: {
      ENOENT: 'no such file or folder',
      ENOTDIR: 'a part of the path is not a folder',
      EACCES: 'permission denied (run the wizard as root to read it)',
      EPERM: 'permission denied (run the wizard as root to read it)',
      other: 'cannot be read ({{code}})',
    },
    stopCommand: 'Program to stop at cutover',
    stopPick: 'Pick a running service',
    stopNone: 'Type a command',
    noStopCommand:
      'No program will be stopped. Whatever writes to these folders keeps writing through the last round: the check after it finds the files that changed, and the migration fails instead of handing over. Pick the running service that writes here, or type the command that stops it.',
    rollbackCommand: 'Command that starts it again if the cutover fails',
    flushCommand:
      'Command that makes it write what it holds in memory, run before the last round while it still runs (optional; PostgreSQL: psql -c CHECKPOINT)',
    startCommand:
      'Command that starts the program on the target at handover (set where the agent runs)',
    releaseCommand:
      'Command that gives up this machine’s address once the target runs the program (optional; for example ip addr del 192.0.2.10/24 dev ens192)',
    startNone:
      'none: the target agent was started without a start command (p2v agent --on-handover)',
    downtime: 'Downtime target (seconds)',
    vm: 'Where the rounds go',
    vmBoot: 'After the copy',
    vmBoots: {
      none: 'send the rounds to the agent (the target is already the VM)',
      direct: 'build the VM on the target, boot its own kernel directly, send the rounds into it',
      'grub-bios':
        'build the VM on the target, boot its disk under a BIOS, send the rounds into it',
      'grub-efi': 'build the VM on the target, boot its disk under UEFI, send the rounds into it',
    },
    vmMemory: 'VM memory (MiB)',
    vmCpus: 'VM CPUs',
    autoConverge: 'If the rounds do not shrink',
    autoConvergeOn: 'Slow the program down until they do (auto-converge)',
    autoConvergeRisk:
      'While slowed, the program answers more slowly (20% less CPU at first, then 10% more each round); it runs at full speed again before it is stopped, and if the migration ends.',
    autoConvergePid: 'Process ID of the program (its children are slowed too)',
    vmBridge: 'Bridge to the source’s network on the conversion host',
    vmBridgeNone: 'none: the VM reaches no network',
    vmBridgeHint:
      'The VM’s card is on this bridge but stays off until the handover; then it comes up with the source’s address. Give up the address on the source with the command that gives it up, above.',
    vmBridgeInvalid:
      'Enter the name of a bridge on the conversion host (up to 15 letters, digits, _ . : -), or leave it blank.',
    vmKeepMac: 'Give the VM the source card’s MAC address',
    vmKeepMacHint:
      '(DHCP reservations and MAC-bound licences keep working, but the source must then never be on the same network again; otherwise the VM gets a new MAC and the source’s network configuration is moved to it)',
    number: 'Enter a number from {{min}} to {{max}}.',
    wholeNumber: 'Enter a whole number from {{min}} to {{max}}.',
    start: 'Start migration',
    review: 'Review and start…',
  },
  job: {
    save: 'Save these settings…',
    open: 'Open saved settings…',
    saved: 'Saved as p2v-job.json (the target’s address and token are not in it).',
    opened: 'Settings opened from {{name}}: check them before you go on.',
    cannotOpen: '{{name}} cannot be opened, nothing was changed: {{why}}',
    notJson: 'it is not JSON',
    notAJob: 'it is not a P2V Wizard settings file',
    version: 'it was saved by another version of P2V Wizard (format {{version}})',
    badField: 'the setting “{{field}}” in it is not valid',
  },
  summary: {
    heading: 'Summary',
    intro:
      'Nothing has run yet. Check what will happen; Start begins the copy, and nothing is stopped before you confirm the cutover.',
    what: 'Moved',
    size: 'Size',
    notMeasured: 'not measured (Measure on What to move)',
    excluded: 'Left out',
    defaultExcludes: 'the live system’s /proc, /sys, /dev, /run, /tmp and swap',
    where: 'To',
    stop: 'Stopped at cutover',
    noStop:
      'nothing: the program keeps writing, and files it writes after the last round will differ (the verification says which)',
    rollback: 'Started here again if the cutover cannot finish',
    start: 'Started on the target',
    release: 'Run here once the target runs it',
    noStart: 'nothing: the agent was started without a start command',
    vm: 'The VM',
    noVm: 'not built: the target is already the machine the program runs on',
    vmValue: '{{boot}}; {{memory}} MiB, {{cpus}} CPU(s); {{mac}}; {{network}}',
    vmBridge: 'its card on the bridge {{bridge}} from the handover',
    vmNoNetwork: 'no network',
    sourceMac: 'the source card’s MAC',
    newMac: 'a new MAC',
    downtime: 'Downtime target',
    seconds: '{{n}} s',
    bandwidth: 'Bandwidth',
    autoConverge: 'Auto-converge',
    autoConvergeOn: 'on: process {{pid}} is slowed if the rounds stop shrinking',
    off: 'off',
    none: 'none',
  },
  notCopied: {
    summary:
      '{{count}} path(s) cannot be copied and will be missing on the target: the source cannot read them, or they are not files (sockets, devices). Fix their permissions on the source, or exclude them.',
    more: 'and {{count}} more (all of them are in the report)',
    reasons: {
      EACCES: 'permission denied',
      EPERM: 'operation not permitted',
      UNSUPPORTED_FILE: 'a socket, device or FIFO',
      EIO: 'I/O error',
    },
  },
  log: {
    open: 'Log',
    heading: 'What happened',
    show: 'Show',
    filters: {
      all: 'everything',
      warning: 'warnings',
      cutover: 'cutover',
      rounds: 'rounds',
      vm: 'the VM',
    },
    copy: 'Copy to the clipboard',
    copied: 'Copied.',
    close: 'Close',
    empty: 'Nothing yet: the log fills once a migration starts.',
    stage: 'Now: {{stage}}',
    stages: {
      idle: 'idle',
      running: 'running',
      paused: 'paused',
      'awaiting-cutover': 'waiting for the cutover to be confirmed',
      'cutting-over': 'cutting over',
      done: 'done',
      failed: 'failed',
      cancelled: 'cancelled',
    },
    phase: 'Phase: {{phase}}',
    phases: {
      connect: 'connecting to the agent',
      copy: 'full copy',
      vm: 'building and booting the VM',
      rounds: 'rounds of changes',
      cutover: 'cutover',
      verify: 'verification',
      handover: 'handover',
      done: 'done',
    },
    reconnect: 'Reconnecting to the agent (attempt {{attempt}}): {{reason}}',
    round: 'Round {{n}}: {{bytes}} sent in {{time}}',
    convergence: 'Rounds: {{reason}}; predicted downtime {{time}}',
  },
  format: { labelled: '{{label}}: {{value}}', heading: '{{label}}:', separator: ': ' },
  cli: {
    vm: {
      built:
        '{{path}}: {{format}}, a {{disk}} disk in {{file}}, {{partitions}} partitions, XXH3-128 {{hash}}, built in {{time}}',
      vmware:
        'VMware: {{file}} (open it in Workstation, or import the pair into ESXi with ovftool)',
      hyperv: 'Hyper-V: run {{file}} in an elevated PowerShell on the host',
    },
    inspect: {
      disks: 'Disks',
      services: '{{label}} ({{count}}):',
      drivers: '{{count}}',
      driversInitramfs: '{{count}}; initramfs {{path}}',
      encrypted: 'Encrypted volumes',
      label: 'label {{label}}',
      mountedOn: 'on {{mountpoints}}',
    },
    migrate: {
      unknown: 'unknown',
      askStop: 'This runs the stop command on this machine:\n  {{command}}',
      askNoStop: 'No stop command was given: nothing is stopped here.',
      ask: 'Ready to cut over ({{reason}}). {{what}}\nPredicted downtime: {{predicted}}. Cut over now?',
      bandwidth:
        'Bandwidth limit: {{rate}}. To change it while this runs: echo 40 > {{file}} (Mbit/s, or none).',
      noLimit: 'none',
      notCopied:
        'Not copied (missing on the target): {{count}} path(s): {{paths}}. The report lists them.',
      fileData: 'File data: {{data}} sent as {{sent}} ({{percent}}%; compression {{compression}}).',
      complete: 'Migration complete: {{rounds}} rounds, downtime {{downtime}}.',
      completeWith: 'Migration complete: {{rounds}} rounds, downtime {{downtime}} ({{notes}}).',
      predicted: 'predicted {{time}}',
      program: 'the program took {{stop}} to stop and {{start}} to start',
      notesJoin: '; ',
      vm: 'The migrated machine runs in the VM (qemu pid {{pid}}); its console: {{console}}',
      report: 'Report: {{path}}',
      partialReport: 'Report of what happened: {{path}}',
    },
    progress: '{{bytes}}  {{files}} files  {{rate}}  ETA {{eta}}',
    profileLine: '{{profile}} (update drivers when: {{condition}})',
    osLine: 'source {{source}}; VM {{vm}}: {{relation}}',
    drivers: 'Drivers',
    noDifference: 'none, the VM holds them all',
    notSent: 'not sent (use --send-drivers)',
    differenceLine: '{{count}} ({{bytes}}) to {{dir}}: {{state}}',
    fileReasons: { missing: 'missing', differs: 'differs' },
    warning: 'warning: {{text}}',
    cutover: 'cutover: {{text}}',
    round: 'round {{n}}: {{files}} files, {{dirty}} changed, {{wire}} on the wire, {{time}}',
    roundFinal:
      'round {{n}} (after the stop): {{files}} files, {{dirty}} changed, {{wire}} on the wire, {{time}}',
  },
  run: {
    cancelQuestion:
      'Cancel the migration? What was copied stays on the target and this machine keeps running; you can resume later from where it stopped.',
    cancelYes: 'Cancel the migration',
    cancelNo: 'Keep going',
    startOver: 'Start a new migration',
  },
  bandwidth: {
    label: 'Bandwidth limit (Mbit/s)',
    none: 'no limit',
    hint: 'Leave empty to send as fast as the link allows; it can be changed while the migration runs.',
    invalid: 'Enter a number of Mbit/s above 0, or leave it empty for no limit.',
    apply: 'Apply limit',
    now: 'Sending at most {{mbit}} Mbit/s.',
    nowNone: 'No bandwidth limit.',
  },
  copy: {
    heading: 'Full copy',
    files: '{{done}} of {{total}} files',
    bytes: '{{done}} of {{total}}',
    dataLabel: 'Copied',
    filesLabel: 'Files',
    rateLabel: 'Speed',
    rate: '{{rate}}/s',
    eta: 'about {{eta}} left',
    etaUnknown: 'time left unknown',
    current: 'Now: {{file}}',
    pause: 'Pause',
    resume: 'Resume',
    cancel: 'Cancel',
    paused: 'Paused. Resume picks up where it stopped.',
    cancelled: 'Cancelled. Nothing was handed over.',
  },
  vm: {
    heading: 'The VM',
    intro:
      'The target builds the VM’s disk from the copy, boots it with an agent inside, and the rounds, the cutover and the handover go to that agent. This machine keeps running meanwhile.',
    stages: {
      build: 'Disk image',
      boot: 'Boot',
      agent: 'Agent inside the VM',
      check: 'Read against what was sent',
    },
    checking: '{{done}} of {{total}} files read ({{file}})',
    up: 'The VM is up and its agent answers: the rounds now go into the VM.',
    console: 'The VM’s console',
    noConsole: 'Nothing yet.',
    lines: {
      initramfsLacks:
        "The initramfs of {{release}} lacks {{missing}}, so the VM could not find its disk: adding the virtio drivers to the guest's initramfs configuration and rebuilding it inside the guest's tree",
      initramfsRebuilt:
        'Rebuilt with {{command}}; these files now differ from the source on purpose: {{files}}',
      initramfsCarries: 'The initramfs of {{release}} carries the virtio disk drivers',
      networkChanged: 'Network: {{change}}',
      deviceReference: 'Boot files: {{file}}: {{was}} → {{now}}',
      bootFileProblem: 'Boot files: {{problem}}',
      bootloaderWritten: 'Boot program: GRUB written to {{file}}',
      helperStep: "In the guest's own kernel: {{step}}",
      initramfsUnknown: 'Could not check the initramfs: {{reason}}',
      building: 'Building the {{format}} disk image from {{tree}}',
      imageReady: 'Image ready: {{path}} ({{format}}, XXH3-128 {{hash}})',
      bridgeCard:
        "The VM's card joins the bridge {{bridge}}, held without its driver until the handover so the VM does not take the source's address before the source lets go of it; the rounds go over a second, restricted card",
      qemuStarted: 'qemu started (pid {{pid}}, {{accel}})',
      kvm: 'KVM',
      emulation: 'software emulation',
      agentAnswered: 'The agent inside the VM answered ({{hostname}})',
      checking: 'Reading the VM’s files against what was sent, while the source keeps running',
      checkMatched: '{{files}} files match what was sent',
      checkDiffer:
        '{{files}} files read; {{count}} changed in the VM go again in the rounds: {{paths}}',
    },
  },
  sync: {
    heading: 'Syncing changes',
    chart: 'Dirty data per round',
    round: 'Round {{n}}',
    throttled: 'The program was slowed by {{level}}% during this round (auto-converge)',
    thisRound: 'This round',
    predicted: 'Predicted downtime: {{time}}',
    predictedUnknown: 'Predicted downtime: not known yet',
    converged: 'The rounds converged ({{reason}}): ready to cut over.',
    notConverged:
      'Still converging. You can cut over now; the last round will take about the predicted time.',
    cutover: 'Cut over…',
  },
  cutover: {
    stepDetail: '{{step}}: {{detail}}',
    heading: 'Cutover',
    confirmTitle: 'Stop the program and hand over?',
    willStop: 'This runs on this machine: {{command}}',
    noStop: 'No stop command was given: make sure nothing writes to the data.',
    predicted: 'Predicted downtime: {{time}}',
    confirm: 'Stop and cut over',
    cancel: 'Not yet',
    abort: 'Abort the cutover: start the program here again',
    extraRound:
      'Nobody confirmed in time, so one more round is keeping the target close. Cutover is available again when it ends, in a moment.',
    timeline: 'Timeline',
  },
  done: {
    heading: 'Done',
    ok: 'The migration completed and the target took over.',
    okButNotCopied:
      'The migration completed and the target took over, but {{count}} path(s) were not copied: they are missing on the target.',
    failed: 'The migration did not complete.',
    handedOverBefore:
      'This migration was handed over to {{target}} at {{at}}. Nothing was run now: the program runs on the target.',
    verification: 'Verification: {{result}}, {{files}} files compared by checksum',
    passed: 'passed',
    failedShort: 'FAILED',
    downtime: 'Measured downtime: {{time}}',
    verifyFailedWhy:
      '{{count}} file(s) on the target differed from this machine after the program was stopped, so nothing was handed over and the program was started here again. Usually something still wrote them after the stop command (another process of the program, a cron job), or they could not be read:',
    verifyFailedWayOn:
      'Resume runs another round and verifies again; or start a new migration and give a stop command that stops everything writing these files.',
    export: 'Export the report',
    exported: 'Saved: {{path}}',
    openFolder: 'Open its folder',
    download: 'Download it',
  },
  reasons: {
    threshold: 'small enough',
    'downtime-target': 'within the downtime target',
    'not-shrinking': 'rounds stopped shrinking',
    'max-rounds': 'round limit reached',
    requested: 'cutover requested',
    continue: 'not yet',
  },
  relation: {
    same: 'same OS and version',
    'other-version': 'same OS type, another version',
    'other-type': 'another OS type',
    'no-target-os': 'the VM’s OS is not named',
  },
  driverStatus: { ok: 'ok', missing: 'missing', older: 'older', newer: 'newer' },
  driverAction: {
    none: 'nothing',
    add: 'add',
    update: 'update',
    initramfs: 'rebuild initramfs',
    manual: 'by hand',
  },
  profiles: {
    hyperv: 'Microsoft Hyper-V (generation 1 or 2)',
    'kvm-virtio': 'KVM / QEMU with virtio devices',
    'vmware-esxi': 'VMware ESXi with paravirtual devices',
  },
  profilesLive: '{{name}}, as the agent in {{host}} reports it',
  units: { ms: '{{n}} ms', s: '{{n}} s', min: '{{m}} min {{s}} s' },
  level: { ok: 'OK', warning: 'Warning', blocker: 'Blocker' },
  stepsTimeline: {
    confirmed: 'Cutover confirmed',
    'stop-command': 'Stop command run',
    stopped: 'Program stopped',
    'final-round': 'Last round sent',
    verified: 'Verified by checksum',
    'verify-failed': 'Verification failed',
    'stop-request': 'Stop request sent to the agent',
    'stop-answered': 'Agent answered the stop request',
    handover: 'Handover started',
    'handover-failed': 'The target could not start the program',
    started: 'Program started on the target',
    release: 'Release command run on the source',
    released: 'Released on the source',
    rollback: 'Rollback started on the source',
    'rolled-back': 'Rolled back: the program runs on the source again',
    resumed: 'An interrupted cutover was picked up again',
  },
  timelineDetail: {
    resumedStopped: 'the program was stopped on the source',
    resumedNotAsked: 'the target had stopped and was not asked to start the program',
    resumedHandover: 'the target’s handover was {{state}} at {{at}}',
    handoverStates: {
      stopped: 'stopped',
      'handing-over': 'under way',
      'handed-over': 'done',
      'handover-failed': 'failed',
      unknown: 'unknown',
    },
    predicted: 'predicted downtime {{ms}} ms',
    differ: '{{count}} files differ',
    exit: 'exit code {{code}}',
    handoverExit: 'the handover command exited with {{code}}',
    noRollback: 'no rollback command was given',
  },
  roles: {
    storage: 'storage',
    network: 'network',
    bus: 'bus',
    balloon: 'memory balloon',
    integration: 'integration services',
    console: 'console',
  },
  notes: {
    volumesUnreadable: 'Mounted volumes could not be read: {{error}}',
    lsblkMissing: 'lsblk is not installed (util-linux): disks and partitions are not listed.',
    lsblkFailed: 'lsblk failed: {{error}}',
    noServices:
      'No running services could be listed (systemd is not running or systemctl is missing): type the stop command by hand.',
    noProcModules: '/proc/modules is absent: the kernel loads no modules (all drivers built in).',
    noModuleTree: '{{tree}} is absent: no module files for the running kernel.',
    modinfoMissing: 'modinfo is not installed (kmod): driver versions are not known.',
    modinfoUnreadable: 'modinfo output could not be read: {{error}}',
    initramfsUnlisted: '{{path}} exists but {{tool}} could not list it.',
    noInitramfs: 'No initramfs found for kernel {{kernel}} in /boot.',
    bitlockerUnknown: 'BitLocker status unknown (Get-BitLockerVolume needs an elevated prompt).',
    driverqueryFailed: 'driverquery failed: {{error}}',
    pnputilFailed: 'pnputil failed: {{error}}',
  },
  advice: {
    add: 'Add {{name}} ({{role}}) from {{source}}.',
    addBoot:
      'Add {{name}} ({{role}}) from {{source}} before the first boot: the VM cannot reach its disk without it (pnputil /add-driver on the source, or DISM /Add-Driver into the image).',
    kernelMissing:
      'The kernel {{kernel}} has no {{name}} module: install a kernel that has it, from {{source}}.',
    kernelMissingBoot:
      'The kernel {{kernel}} has no {{name}} module: install a kernel that has it, from {{source}}, or the VM will not find its root disk.',
    update:
      'Update {{name}} from {{have}} to {{want}}, from {{source}} (the source’s is {{status}}).',
    initramfs:
      '{{name}} is on disk but not in the initramfs: rebuild it so the VM finds its root disk.',
    startMode:
      '{{name}} is installed but starts "{{mode}}": run sc.exe config {{service}} start= boot before the cutover.',
    loaded: '{{name}}{{version}} is loaded.',
    builtin: '{{name}}{{version}} is built in.',
    installed: '{{name}}{{version}} is installed.',
    alternative:
      '{{name}} is missing; {{other}} drives the same kind of device, so give the VM that one.',
    installStaged:
      'On the VM, put the {{count}} staged driver file(s) in place and index them: {{command}}',
    installStagedWindows: 'On the VM, install the {{count}} staged driver file(s): {{command}}',
  },
  planWarnings: {
    noInitramfs:
      'The initramfs could not be read: check by hand that it carries the boot-critical drivers listed here.',
    noDrivers: 'The profile names no {{osType}} drivers: nothing was compared.',
    otherVersion:
      'The VM runs {{vm}}; the source runs {{source}}. Drivers were compared version by version.',
  },
  blockers: {
    OS_TYPE:
      'The source runs {{source}} but the VM runs {{vm}}: a machine cannot move onto another OS type. Pick a VM with the same OS type.',
    FIRMWARE:
      'The source boots with {{boot}} but {{profile}} offers only {{offered}}: its boot loader would not start. Pick a profile with {{boot}} firmware.',
    ARCH: 'The source is {{arch}}; {{profile}} runs {{offered}}.',
  },
  preflight: {
    xattrsLostTitle: 'The target cannot keep extended attributes',
    xattrsLost:
      'Files under {{root}} take no extended attributes: SELinux labels, file capabilities (ping, newuidmap) and ACLs of this machine would be lost. Use a target folder on ext4, XFS or btrfs.',
    xattrsUnprivilegedTitle: 'Labels and capabilities need the agent as root',
    xattrsUnprivileged:
      'Under {{root}} the agent can set user attributes only: SELinux labels, file capabilities and trusted attributes need it to run as root.',
    vmDiskTitle: "The VM's disk",
    autoConvergeTitle: 'Auto-converge (if turned on)',
    autoConverge: {
      'cgroup-v2':
        "The program would be slowed through a cgroup's CPU limit (cgroup v2 cpu.max): it keeps running, with less CPU.",
      'cgroup-v1':
        "The program would be slowed through a cgroup's CPU limit (cgroup v1 cpu.cfs_quota_us): it keeps running, with less CPU.",
      signals:
        'No cgroup CPU limit can be used here (it needs root and the cpu controller): the program would be stopped and continued many times a second (SIGSTOP/SIGCONT), which slows it as much but pauses it in short steps.',
    },
    vmDisk: '{{table}} disk, {{boot}} boot: {{volumes}}.',
    vmDiskHelper:
      "{{table}} disk, {{boot}} boot: {{volumes}}. The volume groups, XFS and btrfs are made inside the guest's own kernel on the target (it needs qemu-system-x86 and busybox-static there).",
    vmDiskBlocked: 'The VM cannot be built as planned: {{reasons}}. Planned: {{volumes}}.',
    xattrsKeptTitle: 'Extended attributes are kept',
    xattrsKept:
      '{{root}} keeps SELinux labels, file capabilities and ACLs: they are copied with the files.',
    targetUnknownTitle: 'Target not checked',
    targetUnknown: 'No agent was asked: free space and the VM’s identity were not checked.',
    spaceBlockedTitle: 'Not enough space on the target',
    spaceBlocked:
      '{{selected}} selected, {{free}} free under {{root}} on the target. Free {{missing}} more, or leave volumes or folders out.',
    spaceEstimateTitle: 'The whole machine would not fit',
    spaceEstimate:
      '{{selected}} used on all volumes, {{free}} free under {{root}} on the target. Pick less to move on the next screen, or free space on the target.',
    spaceTightTitle: 'Little space left on the target',
    spaceTight:
      '{{selected}} selected, {{free}} free under {{root}} on the target: under {{margin}}% would be left for the rounds’ temp files.',
    spaceOkTitle: 'Enough space on the target',
    spaceOk: '{{selected}} selected, {{free}} free under {{root}} on the target.',
    spaceOkEstimate:
      '{{selected}} used on all volumes, {{free}} free under {{root}} on the target.',
    hibernatedTitle: 'Windows is hibernated',
    hibernated:
      'The volumes hold a hibernation image: start Windows fully, then run powercfg /h off.',
    fastStartupTitle: 'Fast Startup is on',
    fastStartup:
      'A shutdown leaves the volumes in a hibernated state the VM must not resume from. Run powercfg /h off (as administrator) before the cutover.',
    hibernationUnknownTitle: 'Hibernation state unknown',
    hibernationUnknown: 'Check with powercfg /a that hibernation and Fast Startup are off.',
    noHibernationTitle: 'No hibernation',
    nothingToDo: 'Nothing to do.',
    noEncryptionTitle: 'No encrypted volumes',
    encryptionTitle: 'Encrypted volumes',
    bitlocker:
      'BitLocker protects {{volumes}}. The VM has no access to this machine’s TPM: keep the recovery key at hand, or suspend protection (manage-bde -protectors -disable {{first}}) before the cutover.',
    luks: '{{volumes}} is LUKS-encrypted: the VM will ask for the passphrase at boot (or needs a key file in its initramfs).',
    noDuplicateTitle: 'No duplicate identity',
    duplicateTitle: 'Same identity on two machines',
    duplicate:
      'Source and VM share {{what}}. Keep them on separate networks until the source is off.',
    duplicateSharedTitle: 'Same identity on one network',
    duplicateShared:
      'After the migration the VM carries the source’s {{what}}. With both on one network, names, DHCP leases and domain trust clash: keep the source off the network after the cutover, or give one of them a new identity.',
    hostname: 'hostname {{name}}',
    machineId: 'machine id',
    mac: 'MAC {{mac}}',
  },
  report: {
    title: 'P2V migration report — {{host}}',
    completed: 'Migration completed',
    notCompleted: 'Migration did not complete',
    byline: 'Report {{id}} by {{tool}} {{version}}',
    summary: 'Summary',
    result: 'Result',
    handedOver: 'Handed over',
    failed: 'Failed: {{message}}',
    started: 'Started',
    finished: 'Finished',
    sourceMachine: 'Source machine',
    targetAgent: 'Target agent',
    targetAgentValue: '{{hostname}} at {{address}}',
    certificate: 'Target certificate',
    downtime: 'Downtime',
    downtimeParts: 'Downtime, predicted and measured',
    downtimePartsValue:
      'predicted {{predicted}}, measured {{measured}} (last round {{round}}, rescan {{rescan}}, mirror check {{mirror}}, verification {{verify}}; predicted {{roundP}}, {{rescanP}}, {{mirrorP}}, {{verifyP}}); besides, the program took {{stop}} to stop and {{start}} to start, which no prediction knows',
    fullCopy: 'Full copy',
    fullCopyValue: '{{files}} files, {{bytes}} in {{time}}',
    resumed: ' (resumed)',
    knownUnread:
      '; {{files}} of them ({{bytes}}) unchanged since an earlier migration read them, so not read again',
    wireCopy: 'Bytes on the wire (copy)',
    notCopied: 'Not copied',
    transfer: 'File data sent',
    transferValue:
      '{{data}}, sent as {{sent}} ({{percent}}%; compression {{mode}}); bandwidth limit {{limit}}',
    noLimit: 'none',
    compression: { auto: 'auto', on: 'on', off: 'off' },
    verification: 'Verification',
    verificationValue:
      '{{result}}: {{files}} files compared by whole-file checksum ({{mode}}) in {{time}}',
    moved: 'What was moved',
    sourceFolder: 'Source folder',
    onTarget: 'On the target',
    rounds: 'Delta rounds',
    noRounds: 'No delta rounds ran.',
    chartLabel: 'Dirty data per round',
    chartAxis: 'round (orange: after the stop)',
    roundCols: {
      round: 'Round',
      duration: 'Duration',
      dirtyFiles: 'Dirty files',
      compared: 'Bytes compared',
      dirtyBytes: 'Dirty bytes',
      wire: 'On the wire',
      deleted: 'Deleted',
      afterStop: 'After stop',
    },
    yes: 'yes',
    no: 'no',
    timeline: 'Cutover timeline',
    time: 'Time',
    step: 'Step',
    detail: 'Detail',
    differ: 'Files that differ',
    resent: 'Changed on the target after they were sent, found by the verification and sent again',
    warnings: 'Warnings',
    none: 'None.',
    vm: {
      title: 'The VM the rounds went to',
      image: 'Disk image',
      imageValue: '{{path}} ({{format}}, {{size}} disk, {{file}} on the host)',
      checksum: 'Image checksum (as built)',
      boot: 'Boot',
      boots: {
        direct: 'the guest’s own kernel and initramfs, started directly',
        'grub-bios': 'the disk by itself under a BIOS (GRUB)',
        'grub-efi': 'the disk by itself under UEFI (GRUB on the EFI partition)',
      },
      ready: 'Ready after the copy',
      readyValue: '{{total}} (image {{build}}, boot to the agent answering {{boot}})',
      confirmation: 'Boot confirmed by',
      agent: 'Agent inside the VM',
      check: 'Checked before the rounds',
      checkValue:
        '{{files}} files read in the VM against what was sent, in {{duration}}; changed in the VM and sent again in the rounds: {{differing}}',
      initramfs: 'Initramfs rebuilt on the conversion host',
      initramfsValue:
        'it lacked the VM’s disk drivers; added to the guest’s configuration and rebuilt with {{command}}. These files differ from the source on purpose and were not sent again: {{files}}',
      checkNone: 'none',
      programStarted: 'From the stop to the program started in the VM',
      console: 'Console log',
      process: 'qemu process',
      command: 'qemu command line',
      definition: 'libvirt domain (virsh define)',
    },
    machine: 'Machine',
    host: 'Host',
    os: 'Operating system',
    kernel: 'Kernel / build',
    boot: 'Boot',
    cpusMemory: 'CPUs / memory',
    volumes: 'Volumes',
    noVolumes: 'none listed',
    inspected: 'Inspected',
    profileAndDrivers: 'VM profile and drivers',
    profile: 'Profile',
    vmOs: 'VM operating system',
    notNamed: 'not named',
    osComparison: 'OS comparison',
    condition: 'Update condition',
    initramfs: 'Initramfs',
    initramfsRebuild: 'rebuild for {{modules}}: {{command}}',
    nothingToDo: 'nothing to do',
    driverCols: {
      driver: 'Driver',
      role: 'Role',
      status: 'Status',
      source: 'Source',
      vm: 'VM',
      action: 'Action',
      advice: 'What to do',
    },
    bootRole: ' (boot)',
    byHand: 'By hand',
    blockers: 'Blockers',
    preflight: 'Pre-flight checks',
    check: 'Check',
    checkResult: 'Result',
    differenceFiles: 'Driver difference files',
    differenceSummary: '{{count}} file(s) to {{dir}}: {{state}}.',
    sentVerified: 'sent and verified by checksum on the VM',
    sentUnverified: 'sent but not verified',
    noneSent: 'none sent',
    fileCols: { file: 'File', why: 'Why', size: 'Size', hash: 'Checksum (XXH3-128)' },
  },
  warnings: {
    resumed: 'Resumed after an interruption: re-scanning the sources for changes made meanwhile.',
    throttleFailed:
      'Auto-converge could not slow the program ({{program}}): {{reason}}. The rounds go on without it.',
    releasedLate:
      'The run that handed over ended before its release command; it ran now: {{command}}',
    releaseFailed:
      'The target runs the program, but the release command failed on this machine (exit {{exitCode}}): {{command}}: {{output}}. Release it by hand (for an address: ip addr del), or the VM and this machine will clash on the network.',
    throttled:
      'Auto-converge: the rounds stopped shrinking, so the program ({{program}}) now gets {{share}}% of the CPU it was using ({{method}}).',
    throttleReleased:
      'Auto-converge: the program ({{program}}) runs at full speed again ({{why}}).',
    throttleUndone:
      'An earlier run slowed the program ({{program}}, {{method}}, at {{level}}%) and ended without putting it back: it runs at full speed again.',
    notRoot: 'The agent does not run as root: owners are not preserved on the target.',
    selinuxRelabel:
      "The guest runs SELinux ({{mode}}) but its files came without labels ({{files}}): the VM image has /.autorelabel, so its first boot labels every file by the guest's own policy and reboots once; that takes minutes on a large root.",
    selinuxRelabelWritten:
      "The guest runs SELinux ({{mode}}) and the VM image holds files written for the VM, which no label came with ({{files}}): it has /.autorelabel, so its first boot labels every file by the guest's own policy and reboots once; that takes minutes on a large root.",
    initramfsRebuilt:
      "The guest's initramfs lacked the VM's disk drivers and was rebuilt on the conversion host ({{command}}); these files differ from the source on purpose and are not sent again: {{files}}",
    deviceReference:
      "A boot file named a device the VM's disk does not keep; changed in the VM only, not sent again: {{file}}: {{was}} → {{now}}",
    bootFileProblem: "The VM's boot files: {{problem}}",
    bootloaderReplaced:
      "The VM boots under UEFI from GRUB, written over the source's own boot program at {{file}} on its EFI system partition; changed in the VM only, not sent again",
    networkChanged:
      "The VM's network card takes over the source's configuration; changed in the VM only, not sent again: {{change}}",
    notCopied: 'Not copied: {{reason}}{{detail}}',
    pathFailed: '{{path}}: {{reason}}{{detail}}',
    skipped: '{{path}}: {{reason}}{{detail}} (not copied)',
    lostEvents: 'The file watcher lost events; re-scanning the sources.',
    pathsLeft: '{{count}} paths could not be sent after the stop.',
    handoverAnswerLost:
      'The target was asked to start the program, but its answer never came: the program may be running on the target. Check there before starting it again on the source.',
    addressNotHeld:
      "The VM runs the program, but its card does not hold the source's address: {{line}}. Nothing on the network reaches the program until it does: check the VM's console (ip addr) and its network configuration.",
    rollbackFailed: 'The rollback command failed (exit {{exitCode}}): {{output}}',
    mountNotCrossed:
      '{{path}} is another filesystem ({{type}}) mounted inside a source: not copied, only its folder. Add it with --source {{path}} or --cross-mounts if the VM needs it.',
    extraneousRemoved:
      '{{count}} files and folders on the target that this machine does not have were removed, so the target is an exact copy.',
    attributesNotSet:
      'The target could not set every extended attribute (SELinux labels, capabilities, ACLs), first on {{path}}: {{detail}}. Check that the agent runs as root on a file system that keeps them.',
    watcherMissed:
      'A re-scan before deciding to cut over found {{count}} changes the file watcher missed (its queue can overflow on a busy machine); they go in another round.',
    flushFailed:
      'The flush command ({{command}}) exited {{exitCode}}: {{output}}. The rounds go on; what the program still holds in memory is written at its stop, inside the downtime.',
    watcherUnavailable:
      'The file watcher could not start ({{reason}}): every round re-scans the sources instead, which costs a stat of every file.',
    keptUnreadable:
      '{{path}} could not be read on the source ({{reason}}): the target keeps its copy and nothing below its folder is removed; it is tried again each round.',
    pathsFailing:
      '{{count}} paths still cannot be read on the source ({{path}}: {{code}}), so the cutover waits: they would differ after the stop. Give the source access or leave them out with --exclude.',
    noRollbackCommand:
      'No rollback command was given: the program stays stopped on the source until you start it.',
    interrupted: {
      stopped:
        'An earlier run was interrupted after it stopped the program on the source ({{since}}), before the target was asked to take over.',
      'stop-asked':
        'An earlier run was interrupted after it asked the target to stop ({{since}}): asking the agent where the cutover stands.',
      'handover-asked':
        'An earlier run was interrupted after it asked the target to start the program ({{since}}): asking the agent whether it did.',
      'rolling-back':
        'An earlier run was interrupted while it started the program on the source again ({{since}}): the rollback runs again.',
    },
  },
  errors: {
    AUTH_FAILED:
      'The agent refused the pairing token. Copy the token the agent printed and try again.',
    AUTH_REQUIRED: 'The agent accepts nothing before pairing. Send the pairing token first.',
    FINGERPRINT_MISMATCH:
      'The target presented a different certificate than the one you confirmed. Nothing was sent. Check that you are connecting to the right agent.',
    PROTOCOL_VERSION:
      'The agent speaks another protocol version. Use the same P2V Wizard version on both machines.',
    BAD_FRAME: 'The peer sent a malformed message. The connection was closed; nothing was written.',
    BAD_PATH: 'A path would leave the target root or is not allowed. Nothing was written.',
    CHECKSUM_MISMATCH:
      'A file on the target did not match the source after applying changes. The old version was kept; the file will be sent again.',
    UNSUPPORTED_FILE:
      'A device, FIFO or socket is not copied: the target system makes its own. It is listed in the report.',
    IO_ERROR: 'A file could not be read or written.',
    CONNECTION_LOST:
      'The connection to the agent was lost. The migration resumes from where it stopped.',
    CONNECT_FAILED: 'Could not reach the agent. Check the address and that the agent is running.',
    NOT_STOPPED:
      'The stop command failed, so the program is still running. Nothing was handed over.',
    VERIFY_FAILED:
      'Some files differ between source and target after the last round. Nothing was handed over; the program was restarted on the source.',
    HANDOVER_FAILED: 'The agent could not start the program on the target.',
    AGENT_STOPPED:
      'The agent has answered a stop request and takes no more writes. Start a new migration to send more.',
    BAD_ARGUMENT: 'An option is missing or invalid.',
    STATE_MISMATCH:
      'The state directory belongs to another migration. Use a new --state directory.',
    STATE_CORRUPT:
      'A state file cannot be read. Nothing was run: it may say that the program was stopped or handed over. Look at the file named here before moving it away.',
    AGENT_HANDED_OVER:
      'This agent already handed a migration over: the program may be running on the target. Nothing was stopped here. To migrate onto it again, start the agent with --accept-new-migration or on a new root.',
    HANDOVER_UNKNOWN:
      'The target was asked to start the program and has not said whether it did. Nothing was started here. Check on the target whether the program runs before starting it anywhere.',
    PARSE_FAILED:
      'A system tool printed something P2V Wizard cannot read. The inspection lists it as unknown; check the tool by hand.',
    PROFILE_INVALID: 'The VM profile is not valid. Fix the file or pick a built-in profile.',
    BLOCKED:
      'The check before the copy found something that stops this migration. Nothing was copied. Fix what it names and run again.',
    CANCELLED:
      'The migration was cancelled. Nothing was handed over; run the same command again to resume.',
    VM_FAILED:
      'The VM on the target did not come up with its agent. The source keeps running; the console log named here says why.',
    IMAGE_BUILD_FAILED:
      "The VM's disk image could not be built. The received files are unchanged; the lines below say what failed.",
  },
};

/** A catalog with every key of the English one, each a string. */
export type Catalog = DeepStrings<typeof en>;
type DeepStrings<T> = { [K in keyof T]: T[K] extends string ? string : DeepStrings<T[K]> };
