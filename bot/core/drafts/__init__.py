"""Reply drafts: rendered from the message frameworks, edited by a person, approved by the plan's role."""
