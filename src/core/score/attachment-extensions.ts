/**
 * Attachment extensions: what a legitimate sender's mail normally carries (the default allow-list,
 * configurable with --allow-attachment / --attachment-allow-list), and what is always flagged
 * whatever the allow-list says: executables and scripts.
 *
 * Sources for the always-blocked list: Gmail's "file types blocked in Gmail"
 * (support.google.com/mail/answer/6590), Outlook's blocked attachments
 * (support.microsoft.com, "Blocked attachments in Outlook"), and Rspamd's mime_types plugin
 * bad_extensions table (/usr/share/rspamd/plugins/mime_types.lua, rspamd 3.4).
 */

/** Ordinary business documents, images, calendar invites and archives. */
export const DEFAULT_ALLOWED_EXTENSIONS = [
  'pdf',
  'png',
  'jpg',
  'jpeg',
  'gif',
  'webp',
  'txt',
  'csv',
  'ics',
  'docx',
  'xlsx',
  'pptx',
  'odt',
  'ods',
  'odp',
  'zip',
] as const;

/** Always flagged as errors: they run code when opened. Value: what kind of thing it is. */
export const ALWAYS_BLOCKED_EXTENSIONS = {
  // Windows executables, installers, libraries and shortcuts (Gmail, Outlook)
  exe: 'Windows executable',
  com: 'DOS/Windows executable',
  scr: 'Windows screen saver (an executable)',
  pif: 'Windows program information file (runs a program)',
  msi: 'Windows installer',
  msix: 'Windows app package',
  msixbundle: 'Windows app bundle',
  msp: 'Windows installer patch',
  mst: 'Windows installer transform',
  appx: 'Windows app package',
  appxbundle: 'Windows app bundle',
  dll: 'Windows library',
  sys: 'Windows driver',
  cpl: 'Windows control panel item',
  lnk: 'Windows shortcut (can run commands)',
  cab: 'Windows cabinet archive',
  chm: 'compiled HTML help (runs scripts)',
  hta: 'HTML application (runs with full rights)',
  ins: 'Internet communication settings',
  isp: 'Internet communication settings',
  inf: 'setup information file',
  reg: 'Windows registry file',
  gadget: 'Windows gadget',
  diagcab: 'Windows troubleshooting pack',
  xll: 'Excel add-in (native code)',
  // disk images that mount and hide executables from scanners (Gmail)
  iso: 'disk image',
  img: 'disk image',
  vhd: 'virtual hard disk',
  vhdx: 'virtual hard disk',
  dmg: 'macOS disk image',
  // Java, Android, macOS
  jar: 'Java archive (runs code)',
  jnlp: 'Java Web Start',
  apk: 'Android package',
  app: 'macOS application bundle',
  pkg: 'macOS installer package',
  command: 'macOS shell script',
  // scripts (Gmail, Outlook, Rspamd)
  bat: 'Windows batch script',
  cmd: 'Windows command script',
  js: 'JavaScript (runs under Windows Script Host)',
  jse: 'encoded JScript',
  mjs: 'JavaScript module',
  vb: 'VBScript',
  vbs: 'VBScript',
  vbe: 'encoded VBScript',
  wsf: 'Windows Script File',
  wsh: 'Windows Script Host settings',
  wsc: 'Windows Script Component',
  sct: 'Windows Script Component',
  shb: 'Windows shell scrap',
  ps1: 'PowerShell script',
  psm1: 'PowerShell module',
  sh: 'shell script',
  bash: 'shell script',
  csh: 'C shell script',
  ksh: 'Korn shell script',
  py: 'Python script',
  pl: 'Perl script',
  rb: 'Ruby script',
  php: 'PHP script',
  applescript: 'AppleScript',
  scpt: 'compiled AppleScript',
  // Office formats with macros enabled
  docm: 'Word document with macros',
  xlsm: 'Excel workbook with macros',
  pptm: 'PowerPoint presentation with macros',
  dotm: 'Word template with macros',
  xltm: 'Excel template with macros',
} as const satisfies Record<string, string>;

/** Lower-case extension of a file name ('' when there is none). "report.pdf.exe" → "exe". */
export function extensionOf(filename: string): string {
  const base = filename.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  if (dot <= 0 || dot === base.length - 1) return '';
  return base.slice(dot + 1).toLowerCase().trim();
}

/** The kind of executable/script an extension is, or undefined. */
export function blockedKind(ext: string): string | undefined {
  const table = ALWAYS_BLOCKED_EXTENSIONS as Record<string, string>;
  return Object.prototype.hasOwnProperty.call(table, ext) ? table[ext] : undefined;
}

/**
 * Parses an allow-list given on the command line: comma- or space-separated extensions, with or
 * without a leading dot ("pdf, .png"). Returns lower-case extensions.
 */
export function parseExtensionList(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    for (const part of v.split(/[\s,]+/)) {
      const e = part.trim().replace(/^\*?\./, '').toLowerCase();
      if (e) out.push(e);
    }
  }
  return out;
}
