from . import discuss_channel, im_livechat_channel, res_config_settings  # noqa: F401
