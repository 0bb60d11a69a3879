{  # noqa: B018 (an Odoo manifest is a bare dict)
    "name": "Sales agent for Live Chat",
    "version": "1.0.0",
    "summary": "Website livechat visitors served first by the salesagent sales agent",
    "description": """
The salesagent conversational sales agent answers the visitors of the livechat channels you
choose, sells from your catalog and hands the conversation to a livechat operator the way
Odoo's own chatbot does. Messages of served sessions are sent to the agent as signed
webhooks (HMAC-SHA256) after they are committed; the agent replies as the bot partner.
""",
    "category": "Website/Live Chat",
    "author": "salesagent contributors",
    "website": "https://github.com/salesagent/salesagent",
    "license": "LGPL-3",
    "depends": ["im_livechat"],
    "data": [
        "data/salesagent_livechat_data.xml",
        "views/im_livechat_channel_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "post_init_hook": "post_init_hook",
    "installable": True,
    "application": False,
}
