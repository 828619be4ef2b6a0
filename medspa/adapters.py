from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Nobody signs up on their own: Portrait creates medspas and their admins, admins invite the rest."""

    def is_open_for_signup(self, request) -> bool:
        return False
