// The pane's style sheet, adopted into the loader's shadow root as a constructed sheet (allowed
// under a strict style-src CSP). Theme variables (--salient-*) cross the shadow boundary on
// purpose: widget/README.md lists them.

export const CSS = `
:host{--s-accent:var(--salient-accent,#2d6a3e);--s-on-accent:var(--salient-on-accent,#fff);
--s-bg:var(--salient-bg,#fff);--s-fg:var(--salient-fg,#1d2320);--s-muted:var(--salient-muted,#5b6560);
--s-bubble:var(--salient-bubble,#f1f3ef);--s-border:var(--salient-border,#d9ddd5);--s-focus:var(--salient-focus,#2b6cde);
--s-error:#a8201a;--s-error-bg:#fdecea;--s-code:#f6f7f5;
--s-font:var(--salient-font,system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif)}
@media (prefers-color-scheme:dark){:host{--s-bg:var(--salient-bg-dark,#191c1a);--s-fg:var(--salient-fg-dark,#e8ebe6);
--s-muted:#a6afa9;--s-bubble:#262b27;--s-border:#3a413c;--s-error:#ffb4ab;--s-error-bg:#3b1a17;--s-code:#101311;--s-focus:#8ab4ff}}
.pane{all:initial;box-sizing:border-box;position:fixed;z-index:2147483647;bottom:88px;right:20px;width:380px;
height:min(620px,calc(100vh - 110px));display:flex;flex-direction:column;overflow:hidden;
background:var(--s-bg);color:var(--s-fg);font:15px/1.5 var(--s-font);border:1px solid var(--s-border);border-radius:16px;
box-shadow:0 12px 40px rgba(0,0,0,.22);visibility:hidden;opacity:0;transform:translateY(16px);
transition:transform .2s ease,opacity .2s ease,visibility 0s linear .2s}
.pane.open{visibility:visible;opacity:1;transform:none;transition:transform .2s ease,opacity .2s ease}
:host([data-position=left]) .pane{right:auto;left:20px}
@media (prefers-reduced-motion:reduce){.pane,.pane.open{transition:none;transform:none}.typing i{animation:none}}
@media (max-width:640px){.pane{inset:0;width:100%;height:100vh;height:100dvh;border:0;border-radius:0;transform:none}}
*,*::before,*::after{box-sizing:border-box}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
button{font:inherit;color:inherit;cursor:pointer}
:focus-visible{outline:3px solid var(--s-focus);outline-offset:2px}
header{display:flex;align-items:center;gap:8px;padding:10px 10px 10px 16px;background:var(--s-accent);color:var(--s-on-accent)}
.heading{flex:1;min-width:0}
h2{margin:0;font-size:16px;font-weight:650;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.status{display:block;font-size:12px;opacity:.9;min-height:18px}
header button{background:transparent;border:1px solid rgba(255,255,255,.5);border-radius:8px;padding:4px 10px;font-size:13px;color:inherit}
header button:hover{background:rgba(255,255,255,.15)}
header .close{border:0;padding:4px;display:flex}
svg{width:22px;height:22px;fill:currentColor}
.log{flex:1;min-height:0;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:10px;overscroll-behavior:contain}
.msg{max-width:88%;padding:8px 12px;border-radius:14px;overflow-wrap:anywhere}
.msg.user{align-self:flex-end;background:var(--s-accent);color:var(--s-on-accent);white-space:pre-wrap;border-bottom-right-radius:4px}
.msg.assistant{align-self:flex-start;background:var(--s-bubble);border-bottom-left-radius:4px}
.msg.team{align-self:flex-start;background:var(--s-bubble);border-left:3px solid var(--s-accent);border-bottom-left-radius:4px}
.team .label{font-weight:600;color:var(--s-accent)}
.msg.error{align-self:stretch;max-width:none;background:var(--s-error-bg);color:var(--s-error);display:flex;align-items:center;gap:10px;justify-content:space-between}
.msg p,.msg ul,.msg ol,.msg pre,.msg blockquote,.msg table{margin:0 0 8px}
.msg>:last-child,.text>:last-child,.tail>:last-child{margin-bottom:0}
.msg ul,.msg ol{padding-left:20px}
.msg a{color:inherit;text-decoration:underline}
.msg code{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--s-code);padding:1px 4px;border-radius:4px}
.code{position:relative}
.msg pre{background:var(--s-code);border:1px solid var(--s-border);border-radius:8px;padding:10px;overflow-x:auto}
.msg pre code{padding:0;background:none;white-space:pre}
.copy{position:absolute;top:4px;right:4px;font-size:12px;padding:2px 8px;border:1px solid var(--s-border);border-radius:6px;background:var(--s-bg)}
.msg table{border-collapse:collapse}.msg td,.msg th{border:1px solid var(--s-border);padding:2px 6px}
.msg blockquote{border-left:3px solid var(--s-border);padding-left:10px;color:var(--s-muted)}
.msg img{max-width:100%}
.label{display:inline-block;font-size:12px;color:var(--s-muted);margin-bottom:4px}
.notice{font-size:13px;color:var(--s-muted)}
.sources{margin-top:8px;padding-top:6px;border-top:1px solid var(--s-border);font-size:13px}
.sources p{margin:0 0 2px;font-weight:600;color:var(--s-muted)}
.sources ol{margin:0}
.sources .heading{display:block;color:var(--s-muted)}
.cite{border:0;background:none;padding:0;color:var(--s-accent);font-size:.85em;vertical-align:super;text-decoration:underline}
.error{color:var(--s-error)}
.retry{flex:none;border:1px solid currentColor;background:transparent;border-radius:8px;padding:4px 12px}
.typing{display:none;gap:4px;padding:4px 0}
.streaming .typing{display:flex}
.typing i{width:7px;height:7px;border-radius:50%;background:var(--s-muted);animation:salient-blink 1.2s infinite both}
.typing i:nth-child(2){animation-delay:.2s}.typing i:nth-child(3){animation-delay:.4s}
@keyframes salient-blink{0%,80%,100%{opacity:.25}40%{opacity:1}}
.composer{display:flex;align-items:flex-end;gap:8px;padding:10px;border-top:1px solid var(--s-border);background:var(--s-bg)}
textarea{flex:1;resize:none;font:inherit;color:var(--s-fg);background:var(--s-bg);border:1px solid var(--s-border);border-radius:10px;
padding:8px 10px;min-height:40px;max-height:140px;line-height:1.4}
textarea:focus-visible{outline:2px solid var(--s-focus);outline-offset:0}
.send{flex:none;width:40px;height:40px;border:0;border-radius:10px;background:var(--s-accent);color:var(--s-on-accent);display:flex;align-items:center;justify-content:center}
.send[aria-disabled=true]{opacity:.55;cursor:progress}
.tools{display:flex;flex-wrap:wrap;gap:0 12px;justify-content:flex-end;padding:2px 12px;border-top:1px solid var(--s-border);background:var(--s-bg)}
.tools button{border:0;background:none;padding:4px 2px;font-size:13px;color:var(--s-accent);text-decoration:underline}
.tools button:disabled,.tools [aria-disabled=true]{color:var(--s-muted);text-decoration:none;cursor:not-allowed}
.summary-note{flex-basis:100%;margin:0 0 4px;text-align:right;font-size:12px;color:var(--s-muted)}.summary-note:empty{display:none}
.summary-note.error{color:var(--s-error)}
.tools [hidden],.sheet[hidden],.verify [hidden]{display:none}
.sheet{flex:none;max-height:65%;overflow-y:auto;border-top:1px solid var(--s-border);background:var(--s-bg);padding:8px 14px 12px;font-size:14px}
.sheet-head{display:flex;align-items:center;justify-content:space-between}
.sheet h3{margin:0;font-size:15px}
.sheet-close{border:0;background:none;padding:2px;display:flex}.sheet-close svg{width:18px;height:18px}
.sheet-note{margin:6px 0;color:var(--s-muted)}.sheet-note.error{color:var(--s-error)}
.past-list{list-style:none;margin:6px 0 0;padding:0}
.past-list .session{display:block;width:100%;text-align:left;border:0;border-left:3px solid transparent;background:none;padding:6px 8px;border-radius:6px}
.past-list .session:hover,.past-list .session[aria-current=true]{background:var(--s-bubble)}
.past-list .session[aria-current=true]{border-left-color:var(--s-accent)}
.past-list .title{display:block;font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.past-list .meta{display:block;font-size:12px;color:var(--s-muted)}
.verify-step{display:flex;flex-direction:column;gap:6px;margin-top:6px}
.verify-label{font-weight:600;font-size:13px}
.verify-input{font:inherit;color:var(--s-fg);background:var(--s-bg);border:1px solid var(--s-border);border-radius:8px;padding:6px 8px}
.verify-code-input{letter-spacing:.3em;font-variant-numeric:tabular-nums;max-width:10em}
.verify-note,.verify-consent,.verify-sent{margin:0;font-size:12px;color:var(--s-muted)}
.verify-sent{font-size:14px;color:var(--s-fg)}
.verify-consent a{color:var(--s-accent)}
.verify-error{margin:0;font-size:13px;color:var(--s-error)}.verify-error:empty{display:none}
.verify-actions{display:flex;flex-wrap:wrap;gap:8px;align-items:center}
.verify-submit,.verify-resend{border:1px solid var(--s-accent);border-radius:8px;padding:5px 12px;font-size:13px;background:var(--s-accent);color:var(--s-on-accent)}
.verify-resend{background:transparent;color:var(--s-accent)}
.verify button:disabled{opacity:.55;cursor:not-allowed}
.verify-other{border:0;background:none;padding:4px 0;font-size:13px;color:var(--s-accent);text-decoration:underline}
.profile-card{margin-top:6px;padding:8px 10px;border:1px solid var(--s-border);border-radius:10px;background:var(--s-bubble)}
.profile-fields{margin:0;display:grid;grid-template-columns:auto 1fr;gap:2px 10px;font-size:13px}
.profile-fields dt{color:var(--s-muted)}.profile-fields dd{margin:0;overflow-wrap:anywhere}
.profile-card .verified{color:var(--s-accent);font-weight:600}
.profile-card .unverified{color:var(--s-muted);font-style:italic}
`;

// What only a handoff shows (the note of a request, the offer under an answer): adopted by
// handoff.js, the file the pane imports once a handoff is in play, so not part of the first open.
export const HANDOFF_CSS = `
.msg.note{align-self:center;max-width:92%;font-size:13px;color:var(--s-muted);text-align:center;border:1px dashed var(--s-border)}
.offer{display:block;margin-top:8px;border:1px solid var(--s-accent);border-radius:8px;padding:4px 12px;background:none;color:var(--s-accent);font-size:13px}
.offer[aria-disabled=true]{opacity:.6;cursor:progress}
`;
