/**
 * Selectors tried when the user names none. A DNS query each, asked concurrently; only the ones
 * found are reported. Sources: each provider's DKIM set-up documentation.
 */
export const COMMON_DKIM_SELECTORS = [
  'google', // Google Workspace
  'selector1', 'selector2', // Microsoft 365
  's1', 's2', // SendGrid, many others
  'k1', 'k2', 'k3', // Mailchimp / Mandrill, Mailgun (k1)
  'default', 'dkim', 'mail', 'smtp', // common defaults (cPanel, Plesk, OpenDKIM examples, Brevo "mail")
  'pm', // Postmark
  'mandrill', // Mandrill
  'mxvault', // MXVault
  'zoho', 'zmail', // Zoho Mail
  'fm1', 'fm2', 'fm3', // Fastmail
  'amazonses', // Amazon SES (legacy TXT selector)
  'mx', // Mailgun
  'protonmail', 'protonmail2', 'protonmail3', // Proton Mail
  's1024', 's2048', // Yahoo
  'hs1', 'hs2', // HubSpot
  'brevo1', 'brevo2', // Brevo
  'resend', // Resend
  'mte1', 'mte2', // Mailchimp Transactional
  'sig1', // iCloud custom domains
  'key1', 'key2', // generic
  'everlytickey1', 'everlytickey2', // Everlytic
  'dkim1', 'dkim2', // generic
  'kl', 'kl2', // Klaviyo
  'scph0316', // SparkPost
  'zendesk1', 'zendesk2', // Zendesk
  'cm', // Campaign Monitor
  'mailjet', // Mailjet
] as const;
