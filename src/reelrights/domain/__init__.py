"""Rights values: codes and trees, terms, boxes and their algebra, titles, contracts.

Standard library and code-list libraries (pycountry, hdx-python-country, langcodes) only.
"""
