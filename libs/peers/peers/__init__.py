"""The outside systems the platform talks to, as local peers (``python -m peers``).

``mail`` (SMTP sink with a mailbox page), ``messaging`` (SMS provider and the DingTalk / WeChat
Work robots), ``payment`` (the payment provider) and ``supplier`` (a supplier's fulfilment
system). Each records what it received, shows it on its page and can be told to fail, so a local
run shows e-mails, SMS, retries and fallbacks; ``peers.process`` runs them beside the platform.
"""
