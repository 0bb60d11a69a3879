from . import test_salesagent_livechat  # noqa: F401
