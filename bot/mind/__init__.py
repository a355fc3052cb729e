"""The consciousness layer: the turn, identity, perception and mood, recall and ranking, intention,
the prompt, learning and facts. It decides; the LLM only phrases."""
