"""The names of the app's keys in the browser's storage.

Apart from ``app.core.storage`` so that the browser entry point can check for a stored session
before anything heavier is imported (every import there delays the "Sign in" button).
"""

PREFIX = "ilert-pkce:"
ATTEMPT_KEY = PREFIX + "attempt"  # verifier + state of the sign-in under way
USED_KEY = PREFIX + "used-states"  # hashes of states already handled (replay detection)
TOKENS_KEY = PREFIX + "tokens"
SETTINGS_KEY = PREFIX + "settings"  # localStorage, non-secret
LOG_KEY = PREFIX + "log"  # the (already redacted) flow log survives the redirect
TEACHING_KEY = PREFIX + "teaching"  # localStorage, "on" when teaching mode is on (off by default)
TRANSPORT_KEY = PREFIX + "transport"  # localStorage: the HTTP transport and timeout choice
SIGNIN_MODE_KEY = PREFIX + "signin-mode"  # localStorage: "redirect" when chosen (popup default)
