"""reelrights: a media rights and licensing engine for film and TV.

The pure core lives in :mod:`reelrights.domain` (values) and :mod:`reelrights.engine`
(holdings, avails, contract checks); :mod:`reelrights.service` is the facade the CLI and
other outer layers call.
"""

__version__ = "0.1.0"
