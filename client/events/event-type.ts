/** Every event the client emits, with the Python library's names as values. */
export enum EventType {
  PRE_CREATE = 'pre_create',
  POST_CREATE = 'post_create',
  PRE_ENABLE = 'pre_enable',
  POST_ENABLE = 'post_enable',
  PRE_DISABLE = 'pre_disable',
  POST_DISABLE = 'post_disable',
  PRE_DESTROY = 'pre_destroy',
  POST_DESTROY = 'post_destroy',
  PRE_ADD_CONDITION = 'pre_add_condition',
  POST_ADD_CONDITION = 'post_add_condition',
  PRE_SET_CONDITIONS = 'pre_set_conditions',
  POST_SET_CONDITIONS = 'post_set_conditions',
  PRE_SET_CLIENT_DATA = 'pre_set_client_data',
  POST_SET_CLIENT_DATA = 'post_set_client_data',
  PRE_SET_BUCKETER = 'pre_set_bucketer',
  POST_SET_BUCKETER = 'post_set_bucketer',
}
