"""Rounds (đợt xét): movements, rounds and the messages between a round and its dossiers.

Pages and the API call the use cases in `lifecycle` and `movements`; `messaging` delivers the
messages every engine turn throws, in the same transaction.
"""
